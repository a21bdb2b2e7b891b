"""End to end: a real `pulumi up` of a small throwaway stack, checks against the AWS API, then destroy.

Runs only with a Pulumi CLI on PATH and AWS credentials (the account they belong to is the stack's
`accountId`); otherwise it is skipped, and the skip reason is printed in the test summary. It
deploys the program's own network and storage layers (the VPC with one NAT gateway, and the
three buckets with dataProtection off so destroy can delete them) through the Automation API, on
a local file backend in a temporary directory with a passphrase secrets provider: no Pulumi Cloud
account is needed. Region: E2E_AWS_REGION or us-west-2. It costs a few cents (one NAT gateway and
its address for the minutes the test runs) and leaves nothing behind when it passes; when it
fails half-way, the temporary backend's path is printed so `pulumi destroy` can finish the job.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import secrets
import shutil

import pytest


def _why_skip() -> str | None:
    if shutil.which("pulumi") is None:
        return "end-to-end test SKIPPED: no Pulumi CLI on PATH (install it and provide AWS credentials to run it)"
    try:
        import boto3

        if boto3.Session().get_credentials() is None:
            return "end-to-end test SKIPPED: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID to run it)"
    except Exception as exc:  # a broken AWS config is a reason to skip, not to fail the offline suite
        return f"end-to-end test SKIPPED: AWS credentials unusable: {exc}"
    return None


REASON = _why_skip()


def _program():
    """The real program's first layers, wired as __main__.py wires them."""
    import pulumi

    from components import settings as config
    from components.network import ByocVpc, ByocVpcArgs
    from components.providers import aws_provider, resolve_zones
    from components.storage import ByocBuckets, ByocBucketsArgs

    settings = config.load()
    names = settings.names
    aws = aws_provider(names.aws("aws"), settings.region, settings.account_id, settings.default_tags)
    zones, zone_problem = resolve_zones(settings.region, settings.network.availability_zones, aws)
    if zone_problem:
        raise config.ConfigError([zone_problem])
    on_aws = pulumi.ResourceOptions(providers=[aws])
    network = ByocVpc(
        names.aws("network"),
        ByocVpcArgs(
            names=names,
            plan=settings.network.ranges.subnet_plan(),
            availability_zones=zones,
            nat_gateways=settings.network.nat_gateways,
            region=settings.region,
        ),
        opts=on_aws,
    )
    buckets = ByocBuckets(
        names.aws("storage"), ByocBucketsArgs(names=names, data_protection=False, kms_key_arn=None), opts=on_aws
    )
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("private_subnet_ids", network.private_subnet_ids)
    pulumi.export("bucket_names", buckets.bucket_names)


def test_the_e2e_program_wires_offline():
    """The throwaway program itself, under the mocks: it must not rot while nobody runs the real thing."""
    from tests.conftest import run_offline

    result = run_offline({"natGateways": "single", "dataProtection": "false"}, program=_program)
    assert len(result.by_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(result.by_type("aws:s3/bucket:Bucket")) == 3
    assert not any(r["protect"] for r in result.by_type("aws:s3/bucket:Bucket"))  # destroy can remove them


@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_up_check_destroy(tmp_path):
    import boto3
    from pulumi import automation as auto

    region = os.environ.get("E2E_AWS_REGION", "us-west-2")
    session = boto3.Session(region_name=region)
    account = session.client("sts").get_caller_identity()["Account"]
    deployment = f"e2e{secrets.token_hex(3)}"
    backend = tmp_path / "state"
    backend.mkdir()
    stack = auto.create_stack(
        stack_name=deployment,
        project_name="clickhouse-byoc",
        program=_program,
        opts=auto.LocalWorkspaceOptions(
            project_settings=auto.ProjectSettings(
                name="clickhouse-byoc", runtime="python", backend=auto.ProjectBackend(url=f"file://{backend}")
            ),
            secrets_provider="passphrase",
            env_vars={"PULUMI_CONFIG_PASSPHRASE": "clickhouse-byoc-e2e"},
        ),
    )
    stack.workspace.install_plugin("aws", "v" + importlib.metadata.version("pulumi-aws"))
    cidr = "10.91.0.0/22"
    stack.set_all_config(
        {
            "aws:region": auto.ConfigValue(region),
            "clickhouse-byoc:accountId": auto.ConfigValue(account),
            "clickhouse-byoc:deploymentId": auto.ConfigValue(deployment),
            "clickhouse-byoc:vpcCidr": auto.ConfigValue(cidr),
            "clickhouse-byoc:natGateways": auto.ConfigValue("single"),
            "clickhouse-byoc:dataProtection": auto.ConfigValue("false"),
            "clickhouse-byoc:dns": auto.ConfigValue(json.dumps({"zoneName": "e2e.example.com", "createZone": True})),
            "clickhouse-byoc:clusterEndpoint": auto.ConfigValue(json.dumps({"public": False})),
            "clickhouse-byoc:publicEndpoint": auto.ConfigValue(json.dumps({"enabled": False})),
            "clickhouse-byoc:clickhouseCloud": auto.ConfigValue(
                json.dumps({"externalId": "e2e-" + deployment}), secret=True
            ),
        }
    )
    try:
        up = stack.up(on_output=print, color="never")
        assert up.summary.result == "succeeded"
        ec2 = session.client("ec2")
        vpc = ec2.describe_vpcs(VpcIds=[up.outputs["vpc_id"].value])["Vpcs"][0]
        assert vpc["CidrBlock"] == cidr
        tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
        assert tags["clickhouse-byoc/deployment"] == deployment
        subnets = ec2.describe_subnets(SubnetIds=list(up.outputs["private_subnet_ids"].value))["Subnets"]
        assert len({s["AvailabilityZone"] for s in subnets}) == 3
        assert all(not s["MapPublicIpOnLaunch"] for s in subnets)
        s3 = session.client("s3")
        for bucket in up.outputs["bucket_names"].value.values():
            block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            assert all(block.values()), bucket
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
            assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    except BaseException:
        print(f"e2e failed: state in {backend}; finish with `pulumi destroy --stack {deployment}` on that backend")
        raise
    finally:
        stack.destroy(on_output=print, color="never")
    stack.workspace.remove_stack(deployment)

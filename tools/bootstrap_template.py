"""Prints a CloudFormation template of a stack's bootstrap role and its permissions boundary.

    venv/bin/python -m tools.bootstrap_template --stack dev > bootstrap.yaml
    venv/bin/python -m tools.bootstrap_template --config-file path/to/Pulumi.other.yaml --format json

The vendor onboards customers with a CloudFormation stack and some security processes only approve
those. The documents come from the same functions the Pulumi program uses
(`components.iam_policies`), with the stack's `bootstrap` mode and toggles; the external id is a
`NoEcho` template parameter (never written into the template), the hosted zone a parameter
defaulting to `dns.hostedZoneId`. Exit 0 on success, 2 for invalid configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from components import iam_policies, naming
from components.iam import PROFILE_TAG, PURPOSE_TAG, SESSION_SECONDS, bootstrap_scope
from components.settings import EXTERNAL_ID_RE, ConfigError, Settings, parse
from components.wiring import bootstrap_role_args
from tools import stackconfig
from tools.projectconfig import ProjectConfigError

EXIT_CONFIG = 2
EXIT_FAILURE = 1


def _sub(value: Any) -> Any:
    """Strings referring to template parameters (`${Name}`) become `Fn::Sub`."""
    if isinstance(value, dict):
        return {k: _sub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub(v) for v in value]
    if isinstance(value, str) and "${" in value:
        return {"Fn::Sub": value}
    return value


def _logical(suffix: str) -> str:
    return "ManagementPolicy" + "".join(part.capitalize() for part in suffix.split("-"))


def template(settings: Settings) -> dict[str, Any]:
    """The CloudFormation template (a dict) for these settings."""
    names = settings.names
    args = bootstrap_role_args(settings, "arn:aws:route53:::hostedzone/${HostedZoneId}", external_id="${ExternalId}")
    scope = bootstrap_scope(args, "arn:aws:route53:::hostedzone/${HostedZoneId}")
    zone_param: dict[str, Any] = {
        "Type": "String",
        "Description": "The deployment's Route 53 hosted zone id (record changes are limited to it)",
        "AllowedPattern": "^Z[A-Z0-9]{1,32}$",
    }
    if settings.dns.hosted_zone_id:
        zone_param["Default"] = settings.dns.hosted_zone_id
    scoped = args.spec.access.profile == "scoped"
    tags = [
        {"Key": naming.BYOC_TAG, "Value": "true"},
        {"Key": naming.DEPLOYMENT_TAG, "Value": settings.deployment_id},
        {"Key": PURPOSE_TAG, "Value": "management"},
        {"Key": PROFILE_TAG, "Value": args.spec.access.profile},
    ]
    resources: dict[str, Any] = {}
    # The clickhouse-cloud profile mirrors the vendor's onboarding: no boundary, no zone.
    if scoped:
        resources["PermissionsBoundary"] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": names.aws("boundary"),
                "Description": "Permissions boundary of every role the ClickHouse BYOC controller creates",
                "PolicyDocument": _sub(iam_policies.boundary_policy(scope, args.spec.exports.state_queue_arn)),
            },
        }
    for suffix, doc in iam_policies.bootstrap_policies(scope, args.spec.access).items():
        resources[_logical(suffix)] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": names.aws(f"management-{suffix}"),
                "Description": f"ClickHouse BYOC controller: {suffix}",
                "PolicyDocument": _sub(doc),
            },
        }
    policy_refs = [{"Ref": _logical(s)} for s in iam_policies.bootstrap_policy_names(args.spec.access)]
    trust = iam_policies.vendor_trust(args.spec.vendor_account_id, "${ExternalId}", args.spec.principal_arn_pattern)
    resources["ManagementRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": args.spec.role_name,
            "Description": f"ClickHouse BYOC controller ({args.spec.access.mode}, {args.spec.access.profile})",
            "AssumeRolePolicyDocument": _sub(trust),
            "MaxSessionDuration": SESSION_SECONDS,
            "ManagedPolicyArns": policy_refs,
            "Tags": tags,
        },
    }
    parameters: dict[str, Any] = {
        "ExternalId": {
            "Type": "String",
            "NoEcho": True,
            "Description": "The external id ClickHouse Cloud gave you (sts:ExternalId)",
            "MinLength": 2,
            "MaxLength": 1224,
            "AllowedPattern": EXTERNAL_ID_RE.pattern.replace("{2,1224}", "*"),
        },
    }
    outputs: dict[str, Any] = {
        "RoleArn": {"Description": "Give this to ClickHouse Cloud", "Value": {"Fn::GetAtt": ["ManagementRole", "Arn"]}}
    }
    if scoped:
        parameters["HostedZoneId"] = zone_param
        outputs["BoundaryPolicyArn"] = {"Value": {"Ref": "PermissionsBoundary"}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"ClickHouse BYOC bootstrap role of deployment {settings.deployment_id} "
            f"({settings.account_id}, {settings.region}), mode {args.spec.access.mode}, profile "
            f"{args.spec.access.profile}; generated by tools.bootstrap_template from the same documents as the "
            "Pulumi program"
        ),
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": outputs,
    }


def render(doc: dict[str, Any], fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2) + "\n"
    return yaml.safe_dump(doc, sort_keys=False, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m tools.bootstrap_template", description=__doc__.split("\n")[0]
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    source.add_argument("--config-file", type=Path, help="any stack config file instead of --stack")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    args = parser.parse_args(argv)
    try:
        cfg = stackconfig.load(args.config_file) if args.config_file else stackconfig.load_stack(args.stack)
    except ProjectConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except (OSError, ValueError, KeyError) as exc:
        print(f"bootstrap_template: cannot read the stack configuration: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    secret = frozenset(k.split(":", 1)[1] for k in cfg.secret_keys if k.startswith(f"{cfg.project}:"))
    try:
        settings = parse(cfg.raw, cfg.stack, secret)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    sys.stdout.write(render(template(settings), args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())

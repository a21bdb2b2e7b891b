"""Naming: the ClickHouse-cloud prefix, lowercase forms and bucket-name limits."""

from __future__ import annotations

import pytest

from components.naming import Names, deployment_id_from_stack, mandatory_tags


def test_aws_and_lowercase_names():
    names = Names("dev", "123456789012")
    assert names.aws("vpc") == "ClickHouse-cloud-dev-vpc"
    assert names.lower("operator") == "clickhouse-cloud-dev-operator"
    assert names.cluster == "ClickHouse-cloud-dev"


def test_bucket_names_are_lowercase_unique_per_account_and_fit():
    names = Names("a" * 20, "123456789012")
    bucket = names.bucket("monitoring")
    assert bucket == f"clickhouse-cloud-{'a' * 20}-monitoring-123456789012"
    assert len(bucket) <= 63 and bucket == bucket.lower()
    with pytest.raises(ValueError, match="longer than 63"):
        names.bucket("much-too-long-purpose")


def test_user_tags_cannot_override_mandatory_ones():
    tags = Names("dev", "123456789012").tags({"team": "x", "managed-by": "terraform"})
    assert tags == {**mandatory_tags("dev"), "team": "x"}
    assert tags["managed-by"] == "pulumi"


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", "dev"),
        ("Prod_EU", "prod-eu"),
        ("org/acme/prod", "org-acme-prod"),
        ("x" * 20, "x" * 20),
        ("x" * 30, "x" * 13 + "-666a59"),
    ],
)
def test_deployment_id_from_stack(stack, expected):
    assert deployment_id_from_stack(stack) == expected


def test_load_balancer_names_fit_32_chars_and_keep_the_prefix():
    assert Names("dev", "123456789012").load_balancer("public") == "ClickHouse-cloud-dev-public"
    long = Names("a-very-long-deploy-1", "123456789012")
    name = long.load_balancer("private")
    assert len(name) <= 32 and name.startswith("ClickHouse-cloud-") and name.endswith("-private")
    assert name != Names("a-very-long-deploy-2", "123456789012").load_balancer("private")

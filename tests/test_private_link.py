"""PrivateLink: an endpoint service on the private NLB (looked up by the controller's fixed name),
acceptance required, only the listed principals; the settings that turn it on."""

from __future__ import annotations

import json

import pytest

from components.private_endpoint import PrivateLinkSpec
from components.settings import ConfigError, parse
from tests.conftest import raw_config, run_offline

PRINCIPALS = ["arn:aws:iam::210987654321:root", "arn:aws:iam::310987654321:role/consumer"]


def test_endpoint_service_fronts_the_private_nlb_with_acceptance_required():
    config = {"enabled": True, "allowedPrincipals": PRINCIPALS}
    result = run_offline({"services": json.dumps([{"name": "analytics"}]), "privateLink": json.dumps(config)})
    (service,) = result.by_type("aws:ec2/vpcEndpointService:VpcEndpointService")
    assert service["inputs"]["acceptanceRequired"] is True
    (arn,) = service["inputs"]["networkLoadBalancerArns"]
    assert arn.startswith("arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/")
    assert "/ClickHouse-cloud-test-private/" in arn
    allowed = result.by_type("aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple")
    assert sorted(a["inputs"]["principalArn"] for a in allowed) == PRINCIPALS
    assert all(a["inputs"]["vpcEndpointServiceId"].startswith("vpce-svc-") for a in allowed)
    # The lookup waits for the private gateway's release, which creates the NLB.
    gateway = next(r for r in result.by_type("kubernetes:helm.sh/v3:Release") if r["name"].endswith("gateway-private"))
    annotations = gateway["inputs"]["values"]["service"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-inbound-sg-rules-on-private-link-traffic"] == "off"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-name"] == "ClickHouse-cloud-test-private"


def test_off_by_default():
    result = run_offline({"services": json.dumps([{"name": "analytics"}])})
    assert not result.by_type("aws:ec2/vpcEndpointService:VpcEndpointService")
    gateway = next(r for r in result.by_type("kubernetes:helm.sh/v3:Release") if r["name"].endswith("gateway-private"))
    assert not [a for a in gateway["inputs"]["values"]["service"]["annotations"] if "private-link" in a]


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        ({"enabled": True}, "privateLink.allowedPrincipals", "empty while privateLink.enabled is true"),
        ({"enabled": True, "allowedPrincipals": ["*"]}, "privateLink.allowedPrincipals[0]", "not an IAM principal"),
        (
            {"enabled": True, "allowedPrincipals": [PRINCIPALS[0], PRINCIPALS[0]]},
            "privateLink.allowedPrincipals[1]",
            "listed twice",
        ),
        ({"enabled": "yes"}, "privateLink.enabled", "not true or false"),
        ({"principals": []}, "privateLink.principals", "unknown field"),
    ],
)
def test_rejections(config, key, words):
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"privateLink": json.dumps(config)}), "dev")
    (line,) = err.value.problems
    assert line.startswith(f"clickhouse-byoc:{key}: ") and words in line


def test_settings_accept_principals():
    settings = parse(raw_config({"privateLink": json.dumps({"enabled": True, "allowedPrincipals": PRINCIPALS})}), "dev")
    # Parsed straight into the private endpoint layer's own spec.
    assert settings.private_link == PrivateLinkSpec(enabled=True, allowed_principals=tuple(PRINCIPALS))


def test_listed_principals_turn_private_link_on():
    # `enabled` left out: the principals are the request for the service (on main this created nothing).
    settings = parse(raw_config({"privateLink": json.dumps({"allowedPrincipals": PRINCIPALS})}), "dev")
    assert settings.private_link.enabled and settings.private_link.allowed_principals == tuple(PRINCIPALS)
    result = run_offline(
        {"services": json.dumps([{"name": "analytics"}]), "privateLink": json.dumps({"allowedPrincipals": PRINCIPALS})}
    )
    allowed = result.by_type("aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple")
    assert sorted(a["inputs"]["principalArn"] for a in allowed) == PRINCIPALS
    # Nothing listed, nothing set: still off.
    assert not parse(raw_config({"privateLink": json.dumps({"allowedPrincipals": []})}), "dev").private_link.enabled


def test_principals_with_enabled_false_are_refused():
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"privateLink": json.dumps({"enabled": False, "allowedPrincipals": PRINCIPALS})}), "dev")
    (line,) = err.value.problems
    assert line.startswith("clickhouse-byoc:privateLink.enabled: false: allowedPrincipals lists 2 principal(s)")
    assert "remove `enabled`" in line
    # `enabled: false` alone stays valid: it is the default.
    assert not parse(raw_config({"privateLink": json.dumps({"enabled": False})}), "dev").private_link.enabled

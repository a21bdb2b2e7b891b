"""EKS rules (policies/rules/eks.py). One compliant and one non-compliant record set per case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_records import (
    assert_case,
    check_cases,
    eks_child,
    eks_component,
)

CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    (
        "eks-endpoint-restricted",
        "component-private",
        [eks_component()],
        [eks_component(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"])],
        "open to the internet",
    ),
    (
        "eks-endpoint-restricted",
        "component-defaults",
        [eks_component(endpointPublicAccess=True, publicAccessCidrs=["198.51.100.0/24"])],
        [eks_component(endpointPublicAccess=None, endpointPrivateAccess=None)],
        "endpointPrivateAccess is off",
    ),
    (
        "eks-endpoint-restricted",
        "child",
        [eks_child()],
        [eks_child(vpcConfig={"endpointPrivateAccess": True})],
        "open to the internet",
    ),
    (
        "eks-secrets-encryption",
        "component",
        [eks_component()],
        [eks_component(encryptionConfigKeyArn=None)],
        "encryptionConfigKeyArn is not set",
    ),
    (
        "eks-secrets-encryption",
        "child",
        [eks_child()],
        [eks_child(encryptionConfig={"resources": ["secrets"], "provider": {}})],
        "provider.keyArn",
    ),
    (
        "eks-control-plane-logging",
        "component",
        [eks_component()],
        [eks_component(enabledClusterLogTypes=["api"])],
        "audit, authenticator are off",
    ),
    (
        "eks-control-plane-logging",
        "child",
        [eks_child()],
        [eks_child(enabledClusterLogTypes=None)],
        "api, audit, authenticator are off",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "fragment"), check_cases(CASES))
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert_case(rule, good, bad, fragment)

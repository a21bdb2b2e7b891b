"""EKS: a restricted API endpoint, secrets encryption, control-plane logging."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .core import (
    as_list,
    get,
    is_world,
    rule,
)

# -- EKS -------------------------------------------------------------------------------------------

_EKS_COMPONENT = "eks:index:Cluster"
_EKS_CLUSTER = "aws:eks/cluster:Cluster"


def eks_endpoint(r: Any) -> tuple[bool, bool, list[Any]]:
    """(public, private, public CIDRs) with the AWS and pulumi-eks defaults (public, no private, world)."""
    base = r.props if r.resource_type == _EKS_COMPONENT else get(r.props, "vpcConfig", default={})
    public = get(base, "endpointPublicAccess", default=True)
    private = get(base, "endpointPrivateAccess", default=False)
    cidrs = as_list(get(base, "publicAccessCidrs", default=["0.0.0.0/0"]))
    return bool(public), bool(private), cidrs


@rule(
    "eks-endpoint-restricted",
    description="The EKS API endpoint is private, or public only to listed networks, and reachable privately.",
    fix=(
        "Set endpointPrivateAccess true and either endpointPublicAccess false or publicAccessCidrs to your "
        "administrators' networks (never 0.0.0.0/0)."
    ),
)
def eks_endpoint_restricted(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type not in (_EKS_COMPONENT, _EKS_CLUSTER):
        return
    public, private, cidrs = eks_endpoint(r)
    if public and (not cidrs or any(is_world(c) for c in cidrs)):
        yield (
            f"the public API endpoint is open to the internet (publicAccessCidrs {cidrs}): set "
            f"endpointPublicAccess false, or publicAccessCidrs to your administrators' networks"
        )
    if not private:
        yield "endpointPrivateAccess is off, so nodes reach the API over the internet: set it true"


@rule(
    "eks-secrets-encryption",
    description="EKS encrypts Kubernetes secrets with a KMS key the stack controls.",
    fix="Pass encryptionConfigKeyArn (the stack's KMS key) to the cluster; on aws.eks.Cluster, "
    "encryptionConfig {resources: ['secrets'], provider.keyArn}.",
)
def eks_secrets_encryption(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type == _EKS_COMPONENT:
        if not get(r.props, "encryptionConfigKeyArn"):
            yield "encryptionConfigKeyArn is not set: pass the stack's KMS key ARN so secrets are envelope-encrypted"
    elif r.resource_type == _EKS_CLUSTER:
        config_ = get(r.props, "encryptionConfig", default={})
        if "secrets" not in as_list(get(config_, "resources")) or not get(config_, "provider", "keyArn"):
            yield (
                "encryptionConfig does not encrypt 'secrets' with a KMS key: set resources ['secrets'] "
                "and provider.keyArn"
            )


@rule(
    "eks-control-plane-logging",
    description="EKS sends its api, audit and authenticator control-plane logs to CloudWatch.",
    fix="Set enabledClusterLogTypes to include api, audit and authenticator.",
    config={
        "requiredLogTypes": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["api", "audit", "authenticator"],
            "description": "Control-plane log types that must be enabled.",
        }
    },
)
def eks_control_plane_logging(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type not in (_EKS_COMPONENT, _EKS_CLUSTER):
        return
    enabled = set(as_list(get(r.props, "enabledClusterLogTypes")))
    missing = [t for t in config.get("requiredLogTypes") or [] if t not in enabled]
    if missing:
        yield f"control-plane log types {', '.join(missing)} are off: add them to enabledClusterLogTypes"

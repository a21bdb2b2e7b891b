"""The clickhouse-byoc policy rules: one validation function per rule, cdk-nag style, one module per family.

Each rule has a kebab-case name, a description, a default enforcement level (overridable through
the pack's config: `pulumi preview --policy-pack policies --policy-pack-config cfg.json`) and
violation messages that say how to fix the resource. `policies()` turns the rules into the
pulumi-policy objects `PolicyPack` takes; `tools.policy_check` feeds the same objects the offline
synth output.

This package is self-contained (it imports nothing from the program, and its modules import each
other relatively) because Pulumi runs the pack from inside `policies/` with only the pack's own
virtualenv: `import rules` there, and `from policies import rules` from the repository root.

Families, in the order of the README table: `naming` (prefix, tags), `eks`, `s3`, `iam`, `compute`
(IMDSv2), `ingress`, `audit` (flow logs, bucket access logs; advisory). Resource rules see one
resource at a time (`ResourceValidationArgs`); stack rules see every resource
(`StackValidationArgs`) and link buckets to their public-access blocks, encryption configurations
and policies, or security-group rules to the ingress gateways. A value the rule cannot read (unknown
during a preview, or a secret in the offline synth output) is never reported as a violation: the
rule reports it as an advisory "cannot check" note instead.
"""

from . import naming, eks, s3, iam, compute, ingress, audit  # noqa: I001  (import order = rule order)
from .core import (
    ADVISORY,
    ALLOW_ANY_SOURCE,
    BYOC_TAG,
    DATA_PROTECTION_TAG,
    DEPLOYMENT_TAG,
    ELB_NAME_MAX,
    LB_NAME_ANNOTATION,
    LB_SCHEME_ANNOTATION,
    MANDATORY,
    PACK_NAME,
    PREFIX,
    PURPOSE_TAG,
    RULES,
    SECRET,
    CannotCheck,
    CannotRead,
    Finding,
    Rule,
    decoded,
    policies,
    rule_named,
)
from .naming import prefixed

__all__ = [
    "ADVISORY",
    "ALLOW_ANY_SOURCE",
    "BYOC_TAG",
    "DATA_PROTECTION_TAG",
    "DEPLOYMENT_TAG",
    "ELB_NAME_MAX",
    "LB_NAME_ANNOTATION",
    "LB_SCHEME_ANNOTATION",
    "MANDATORY",
    "PACK_NAME",
    "PREFIX",
    "PURPOSE_TAG",
    "RULES",
    "SECRET",
    "CannotCheck",
    "CannotRead",
    "Finding",
    "Rule",
    "audit",
    "compute",
    "decoded",
    "eks",
    "iam",
    "ingress",
    "naming",
    "policies",
    "prefixed",
    "rule_named",
    "s3",
]

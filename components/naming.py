"""Names and mandatory tags for everything the program creates.

One module owns naming so the `ClickHouse-cloud` prefix, which the vendor's management role is
scoped to and the policy pack enforces, is decided in one place.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PROJECT = "clickhouse-byoc"
PREFIX = "ClickHouse-cloud"
LOWER_PREFIX = PREFIX.lower()

# The tag the vendor role's IAM conditions key on; its value is fixed.
BYOC_TAG = "clickhouse-byoc"
DEPLOYMENT_TAG = "clickhouse-byoc/deployment"
MANAGED_BY_TAG = "managed-by"
# What a program-managed IAM role is for (its name suffix); the vendor boundary keys on its presence.
ROLE_PURPOSE_TAG = "clickhouse-byoc/purpose"
# What a bucket holds (`data`, `backup`, `monitoring`); the policy pack's bucket rules key on it.
BUCKET_PURPOSE_TAG = "clickhouse-byoc/bucket-purpose"

DEPLOYMENT_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,18})[a-z0-9]\Z", re.ASCII)
DEPLOYMENT_ID_MAX = 20
STACK_HASH_CHARS = 6


def normalized_stack_name(stack: str) -> str:
    """The stack name lowercased, runs of other characters turned into one hyphen."""
    derived = re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-")
    return re.sub(r"-{2,}", "-", derived)


def deployment_id_from_stack(stack: str) -> str:
    """The deployment id a stack name suggests: the normalized name when it fits 20 characters; else a
    readable prefix and a hash of the whole stack name, so stacks whose names share their first 20
    characters (`acme-prod-eu-central-1`, `-2`) still get distinct ids."""
    derived = normalized_stack_name(stack)
    if len(derived) <= DEPLOYMENT_ID_MAX:
        return derived
    digest = hashlib.sha256(stack.encode()).hexdigest()[:STACK_HASH_CHARS]
    prefix = derived[: DEPLOYMENT_ID_MAX - STACK_HASH_CHARS - 1].rstrip("-")
    return f"{prefix}-{digest}"


def zone_suffix(zone: str) -> str:
    """`a` for us-west-2a: short enough for names, stable for a given zone."""
    return zone[-1]


def mandatory_tags(deployment_id: str) -> dict[str, str]:
    """Tags every taggable AWS resource carries, through the provider's default_tags."""
    return {
        BYOC_TAG: "true",
        DEPLOYMENT_TAG: deployment_id,
        MANAGED_BY_TAG: "pulumi",
    }


@dataclass(frozen=True)
class Names:
    """Builds every AWS, Kubernetes and Pulumi name for one deployment."""

    deployment_id: str
    """The validated deployment id (lowercase letters, digits, hyphens, 3-20 chars)."""
    account_id: str
    """The customer account; makes globally unique names (S3) unique per account."""

    def aws(self, what: str) -> str:
        """`ClickHouse-cloud-<id>-<what>`: AWS names and Pulumi logical names."""
        return f"{PREFIX}-{self.deployment_id}-{what}" if what else f"{PREFIX}-{self.deployment_id}"

    def lower(self, what: str) -> str:
        """`clickhouse-cloud-<id>-<what>` where AWS or Kubernetes demand lowercase."""
        return self.aws(what).lower()

    def bucket(self, what: str) -> str:
        """A globally unique S3 bucket name: `clickhouse-cloud-<id>-<what>-<account>`, at most 63 chars."""
        name = f"{self.lower(what)}-{self.account_id}"
        if len(name) > 63:
            raise ValueError(f"bucket name {name!r} is longer than 63 characters")
        return name

    def load_balancer(self, what: str) -> str:
        """An ELB name (at most 32 chars): the full name when it fits, else a hash of the id stands in."""
        full = self.aws(what)
        if len(full) <= 32:
            return full
        short_id = hashlib.sha256(self.deployment_id.encode()).hexdigest()[:6]
        return f"{PREFIX}-{short_id}-{what}"[:32].rstrip("-")

    @property
    def cluster(self) -> str:
        """The EKS cluster name, `ClickHouse-cloud-<id>`: the bootstrap role's EKS rights match it."""
        return self.aws("")

    def tags(self, extra: dict[str, str]) -> dict[str, str]:
        """The provider's default tags: the user's extra tags under the mandatory ones."""
        return {**extra, **mandatory_tags(self.deployment_id)}

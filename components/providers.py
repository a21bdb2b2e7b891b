"""The explicit AWS provider every AWS resource uses, and the zone lookup made through it."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def aws_provider(name: str, region: str, account_id: str, default_tags: Mapping[str, str]) -> aws.Provider:
    """A provider pinned to the customer account and region, tagging everything it creates.

    `allowed_account_ids` makes a run with credentials for any other account fail before it
    changes anything; `default_tags` puts the mandatory tags on every taggable resource.
    """
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(default_tags)),
    )


def zone_problem(region: str, configured: tuple[str, ...] | None, available: list[str]) -> str | None:
    """Why the configured or default zones cannot be used in a region offering `available`."""
    if configured is None:
        if len(available) < 3:
            return (
                f"aws:region: {region}: offers {len(available)} zones to this account "
                f"({', '.join(available) or 'none'}); the BYOC layout needs 3: choose another region"
            )
        return None
    missing = [z for z in configured if z not in available]
    if missing:
        return (
            f"clickhouse-byoc:availabilityZones: {', '.join(missing)}: not available in "
            f"{region} for this account; choose 3 of {', '.join(available)}"
        )
    return None


def resolve_zones(
    region: str, configured: tuple[str, ...] | None, provider: aws.Provider
) -> tuple[tuple[str, ...], str | None]:
    """The three zones to use (the configured ones, or the region's first three) and, when they
    cannot be used, the problem as a config error line for the caller to raise.

    Looked up before any AWS resource is registered, so a region with too few zones, or a zone
    that does not exist, fails the run cleanly. Local and Wavelength zones are left out.
    """
    result = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider),
    )
    available = sorted(result.names or [])
    return configured or tuple(available[:3]), zone_problem(region, configured, available)

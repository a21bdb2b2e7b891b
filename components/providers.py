"""The explicit AWS provider every AWS resource uses, and the zone lookup made through it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.settings import ConfigError, Settings


def aws_provider(settings: Settings) -> aws.Provider:
    """A provider pinned to the customer account and region, tagging everything it creates.

    `allowed_account_ids` makes a run with credentials for any other account fail before it
    changes anything; `default_tags` puts the mandatory tags on every taggable resource.
    """
    return aws.Provider(
        settings.names.aws("aws"),
        region=settings.region,
        allowed_account_ids=[settings.account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=settings.default_tags),
    )


def zone_problem(settings: Settings, available: list[str]) -> str | None:
    """Why the configured or default zones cannot be used in a region offering `available`."""
    if settings.network.availability_zones is None:
        if len(available) < 3:
            return (
                f"aws:region: {settings.region}: offers {len(available)} zones to this account "
                f"({', '.join(available) or 'none'}); the BYOC layout needs 3: choose another region"
            )
        return None
    missing = [z for z in settings.network.availability_zones if z not in available]
    if missing:
        return (
            f"clickhouse-byoc:availabilityZones: {', '.join(missing)}: not available in "
            f"{settings.region} for this account; choose 3 of {', '.join(available)}"
        )
    return None


def resolve_zones(settings: Settings, provider: aws.Provider) -> tuple[str, ...]:
    """The three zones to use: the configured ones (checked to exist) or the region's first three.

    Looked up before any AWS resource is registered, so a region with too few zones, or a zone
    that does not exist, fails the run cleanly. Local and Wavelength zones are left out.
    """
    result = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider),
    )
    available = sorted(result.names or [])
    problem = zone_problem(settings, available)
    if problem:
        raise ConfigError([problem])
    return settings.network.availability_zones or tuple(available[:3])

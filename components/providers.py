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


def zone_problem(settings: Settings, region_zones: list[str]) -> str | None:
    """Why the configured or default zones cannot be used in a region with `region_zones`."""
    if settings.network.availability_zones is None:
        if len(region_zones) < 3:
            return (
                f"aws:region: {settings.region}: offers {len(region_zones)} zones to this account "
                f"({', '.join(region_zones) or 'none'}); the BYOC layout needs 3: choose another region"
            )
        return None
    missing = [z for z in settings.network.availability_zones if z not in region_zones]
    if missing:
        return (
            f"clickhouse-byoc:availabilityZones: {', '.join(missing)}: not available in "
            f"{settings.region} for this account; choose 3 of {', '.join(region_zones)}"
        )
    return None


def default_zones(region_zones: list[str]) -> tuple[str, ...]:
    """The region's first three zones by name: the same three on every run."""
    return tuple(sorted(region_zones)[:3])


def pin_zones_command(zones: tuple[str, ...]) -> str:
    """The commands that write the zones into the stack config, so they never move."""
    return " && ".join(f"pulumi config set --path 'availabilityZones[{i}]' {zone}" for i, zone in enumerate(zones))


def pin_zones_warning(zones: tuple[str, ...]) -> str:
    return (
        f"clickhouse-byoc:availabilityZones: not set; using {', '.join(zones)} (the region's first three "
        f"by name). Pin them before the first deploy, so a later change in what AWS offers this account "
        f"cannot move the network: {pin_zones_command(zones)}"
    )


def resolve_zones(settings: Settings, provider: aws.Provider) -> tuple[str, ...]:
    """The three zones to use: the configured ones (checked to exist) or the region's first three.

    Looked up before any AWS resource is registered, so a region with too few zones, or a zone
    that does not exist, fails the run cleanly. Local and Wavelength zones are left out (their
    opt-in status is a property of the zone, not of the moment). The zones' current state is not
    filtered on: a zone that is impaired during an outage must neither shift the default set nor
    make a configured zone look missing. A default set is logged with the command that pins it.
    """
    result = aws.get_availability_zones(
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider),
    )
    region_zones = sorted(result.names or [])
    problem = zone_problem(settings, region_zones)
    if problem:
        raise ConfigError([problem])
    if settings.network.availability_zones:
        return settings.network.availability_zones
    zones = default_zones(region_zones)
    pulumi.log.warn(pin_zones_warning(zones))
    return zones

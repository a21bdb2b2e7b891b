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


def zone_problem(region: str, configured: tuple[str, ...] | None, region_zones: list[str]) -> str | None:
    """Why the configured or default zones cannot be used in a region with `region_zones`."""
    if configured is None:
        if len(region_zones) < 3:
            return (
                f"aws:region: {region}: offers {len(region_zones)} zones to this account "
                f"({', '.join(region_zones) or 'none'}); the BYOC layout needs 3: choose another region"
            )
        return None
    missing = [z for z in configured if z not in region_zones]
    if missing:
        return (
            f"clickhouse-byoc:availabilityZones: {', '.join(missing)}: not available in "
            f"{region} for this account; choose 3 of {', '.join(region_zones)}"
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


def resolve_zones(
    region: str, configured: tuple[str, ...] | None, provider: aws.Provider
) -> tuple[tuple[str, ...], str | None]:
    """The three zones to use (the configured ones, or the region's first three by name) and, when
    they cannot be used, the problem as a config error line for the caller to raise.

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
    problem = zone_problem(region, configured, region_zones)
    if configured:
        return configured, problem
    zones = default_zones(region_zones)
    if problem is None:
        pulumi.log.warn(pin_zones_warning(zones))
    return zones, problem


def enabled_regions(provider: aws.Provider) -> tuple[str, ...]:
    """The Regions enabled in the account (enabled by default, or opted in), sorted: where an AWS STS
    endpoint can issue credentials for the account's roles (IAM user guide, "Manage AWS STS in an AWS
    Region": the Region must be active in the account that owns the role)."""
    result = aws.get_regions(opts=pulumi.InvokeOptions(provider=provider))
    return tuple(sorted(result.names or []))

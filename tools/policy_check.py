"""Offline policy check: runs every rule of the `clickhouse-byoc` pack over a synth output.

    venv/bin/python -m tools.policy_check build/synth/resources.json [--config policy-config.json]

The records of `resources.json` are presented as the objects pulumi-policy passes to a pack during
`pulumi preview --policy-pack policies` (`PolicyResource`, `ResourceValidationArgs`,
`PolicyProviderResource`, props behind the SDK's unknown-checking proxy), and each rule's own
`validate` is called, so the offline check and the preview run the same code. `--config` takes the
file `pulumi preview --policy-pack-config` takes: `{"<rule>": "advisory", "<rule>": {"enforcementLevel":
"disabled", "<property>": ...}, "all": "advisory"}`.

Prints one line per violation (rule, level, urn, message), then a summary. Exit 1 when a mandatory
rule is violated, 2 when the input or the config cannot be read, else 0. Resources a rule cannot
read (secrets) never fail the check: the summary sums them up, `--verbose` lists them as advisory
"cannot check" lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies import rules

EXIT_VIOLATION = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Result:
    """One line of the report."""

    rule: str
    level: str
    """mandatory, advisory, or advisory for a resource the rule could not check."""
    urn: str
    message: str
    checked: bool = True

    def line(self) -> str:
        return f"{self.rule} [{self.level}] {self.urn or '(stack)'}: {self.message}"


class ConfigProblem(ValueError):
    pass


def _options(record: Mapping[str, Any]) -> PolicyResourceOptions:
    opts = PolicyResourceOptions(
        protect=bool(record.get("protect")),
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=record.get("parent"),
    )
    # The SDK (1.21) has no retainOnDelete; the synth records it, so offline rules can read it.
    opts.retain_on_delete = bool(record.get("retainOnDelete"))  # type: ignore[attr-defined]
    return opts


def policy_resources(records: list[Mapping[str, Any]]) -> list[PolicyResource]:
    """The records as the SDK's `PolicyResource`s, with providers, parents and dependencies linked."""
    by_urn = {r["urn"]: r for r in records}
    providers: dict[str, PolicyProviderResource] = {}
    for r in records:
        if r["type"].startswith("pulumi:providers:"):
            inputs = {k: rules.decoded(v) for k, v in (r.get("inputs") or {}).items()}
            providers[r["urn"]] = PolicyProviderResource(r["type"], unknown_checking_proxy(inputs), r["urn"], r["name"])
    out = [
        PolicyResource(
            r["type"],
            unknown_checking_proxy(dict(r.get("inputs") or {})),
            r["urn"],
            r["name"],
            _options(r),
            providers.get(r.get("provider") or ""),
            None,
            [],
            {},
        )
        for r in records
    ]
    resources = {res.urn: res for res in out}
    for res in out:
        record = by_urn[res.urn]
        res.parent = resources.get(record.get("parent") or "")
        res.dependencies = [resources[d] for d in record.get("dependencies") or [] if d in resources]
    return out


def _level(value: Any, where: str) -> EnforcementLevel:
    try:
        return EnforcementLevel(value)
    except ValueError:
        levels = ", ".join(e.value for e in EnforcementLevel)
        raise ConfigProblem(f"{where}: {value!r} is not an enforcement level; use one of {levels}") from None


def resolve(config: Mapping[str, Any] | None) -> dict[str, tuple[EnforcementLevel, dict[str, Any]]]:
    """Per rule: the enforcement level and the config properties, as the Pulumi CLI resolves them."""
    config = dict(config or {})
    known = {r.name for r in rules.RULES}
    unknown = sorted(set(config) - known - {"all"})
    if unknown:
        raise ConfigProblem(f"unknown rule(s) {', '.join(unknown)}; the pack's rules are {', '.join(sorted(known))}")
    default = _level(config["all"], "all") if "all" in config else None
    out = {}
    for rule in rules.RULES:
        level, props = default or rule.level, {}
        value = config.get(rule.name)
        if isinstance(value, str):
            level = _level(value, rule.name)
        elif isinstance(value, Mapping):
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            if "enforcementLevel" in value:
                level = _level(value["enforcementLevel"], rule.name)
            extra = sorted(set(props) - set(rule.config or {}))
            if extra:
                raise ConfigProblem(f"{rule.name}: unknown propert(ies) {', '.join(extra)}")
        elif value is not None:
            raise ConfigProblem(f"{rule.name}: expected an enforcement level or an object")
        out[rule.name] = (level, props)
    return out


def run(records: list[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> list[Result]:
    """Runs every enabled rule over the records, as `pulumi preview --policy-pack` would."""
    resolved = resolve(config)
    resources = policy_resources(records)
    results: list[Result] = []
    for policy in rules.policies():
        level, props = resolved[policy.name]
        if level == EnforcementLevel.DISABLED:
            continue
        shown = EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

        def report(message: str, urn: str | None = None, name: str = policy.name, lvl: str = shown.value) -> None:
            results.append(Result(name, lvl, urn or "", message))

        if isinstance(policy, ResourceValidationPolicy):
            calls = [
                (
                    ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, r.provider, props),
                    r.urn,
                )
                for r in resources
            ]
        else:
            calls = [(StackValidationArgs(resources, props), "")]
        for args, urn in calls:
            try:
                policy.validate(args, lambda m, u=None, urn=urn: report(m, u or urn))
            except rules.CannotCheck as exc:
                for f in exc.findings:
                    results.append(Result(policy.name, "advisory", f.urn, f"cannot check: {f.message}", False))
            except UnknownValueError as exc:  # the SDK reports these as advisory too
                results.append(Result(policy.name, "advisory", urn, f"cannot check: {exc.message}", False))
    return results


def summary(results: list[Result], n_resources: int, verbose: bool = True) -> str:
    """The last line. Unless `verbose` (the cannot-check lines printed above it), it also sums up
    which rules a secret kept from checking, with counts and why."""
    mandatory = sum(1 for r in results if r.checked and r.level == "mandatory")
    advisory = sum(1 for r in results if r.checked and r.level == "advisory")
    unchecked = [r for r in results if not r.checked]
    line = (
        f"policy check: {mandatory} mandatory and {advisory} advisory violation(s), {len(unchecked)} cannot-check "
        f"note(s); {len(rules.RULES)} rules over {n_resources} resources"
    )
    if unchecked and not verbose:
        by_rule = Counter(r.rule for r in unchecked)
        why = sorted({r.message.removeprefix("cannot check: ") for r in unchecked})
        line += (
            f" (not checked offline: {', '.join(f'{rule} x{n}' for rule, n in sorted(by_rule.items()))}; "
            f"{'; '.join(why)}; --verbose lists them)"
        )
    return line


def report(
    records: list[Mapping[str, Any]],
    config: Mapping[str, Any] | None = None,
    out: TextIO | None = None,
    verbose: bool = False,
) -> int:
    """Runs the check, prints the report (to `out`, default the current stdout), returns the exit
    code (1 on a mandatory violation). The checks a secret kept from running are summed up in the
    last line unless `verbose` lists them one per line."""
    out = out or sys.stdout
    results = run(records, config)
    for result in results:
        if verbose or result.checked:
            print(result.line(), file=out)
    print(summary(results, len(records), verbose), file=out)
    failed = any(r.checked and r.level == "mandatory" for r in results)
    return EXIT_VIOLATION if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="venv/bin/python -m tools.policy_check", description=__doc__.split("\n")[0])
    parser.add_argument("resources", type=Path, help="a resources.json written by tools.synth")
    parser.add_argument("--config", type=Path, help="policy pack config (the --policy-pack-config format)")
    parser.add_argument("--verbose", action="store_true", help="list each check a secret kept from running")
    args = parser.parse_args(argv)
    try:
        records = json.loads(args.resources.read_text())
        config = json.loads(args.config.read_text()) if args.config else None
        if not isinstance(records, list) or (config is not None and not isinstance(config, dict)):
            raise ValueError("resources.json must hold a list and the config an object")
        return report(records, config, verbose=args.verbose)
    except (OSError, ValueError) as exc:
        print(f"policy_check: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

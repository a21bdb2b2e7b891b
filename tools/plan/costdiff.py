"""The cost delta of a change: the monthly estimate of `tools.cost` on the base and on now, by layer.

The change plan (tools/plan/) prints it in text, Markdown (the pull-request comment) and JSON.
A side with no resources (a first deploy's base) costs nothing. When the price table cannot price a
side (a region or instance type it does not cover), the delta says why instead of a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools import cost


@dataclass(frozen=True)
class CostDelta:
    """Monthly estimates before and after a change, by layer (`tools.cost.layer_of`)."""

    currency: str
    before: dict[str, float]
    after: dict[str, float]
    total_before: float = 0.0
    total_after: float = 0.0
    delta: float = 0.0
    """`tools.cost.delta`: what the change adds (positive) or saves (negative) a month."""
    as_of: str = ""
    unpriced: str | None = None
    """Why there is no estimate (a region or instance type the price table does not cover)."""

    def layers(self) -> list[tuple[str, float, float]]:
        """(layer, before, after) for every layer that costs something on either side."""
        names = sorted(set(self.before) | set(self.after))
        return [(n, self.before.get(n, 0.0), self.after.get(n, 0.0)) for n in names]

    def as_json(self) -> dict[str, Any]:
        if self.unpriced:
            return {"currency": self.currency, "unpriced": self.unpriced}
        return {
            "currency": self.currency,
            "as_of": self.as_of,
            "monthly_before": self.total_before,
            "monthly_after": self.total_after,
            "monthly_delta": self.delta,
            "by_layer": [{"layer": n, "before": b, "after": a, "delta": round(a - b, 2)} for n, b, a in self.layers()],
        }


def _estimate(records: Sequence[Mapping[str, Any]], table: Mapping[str, Any]) -> cost.Estimate:
    if not records:
        return cost.Estimate("", ())
    return cost.estimate(records, table)


def compare(
    base: Sequence[Mapping[str, Any]], now: Sequence[Mapping[str, Any]], table: Mapping[str, Any] | None = None
) -> CostDelta:
    """The estimate of `base` and of `now`, by layer."""
    table = table if table is not None else cost.load_prices()
    currency = str(table.get("currency", "USD"))
    as_of = str(table.get("as_of", ""))
    try:
        before, after = _estimate(base, table), _estimate(now, table)
    except cost.Unpriced as exc:
        return CostDelta(currency, {}, {}, as_of=as_of, unpriced=str(exc))
    return CostDelta(
        currency,
        before.by_layer(),
        after.by_layer(),
        before.monthly_total,
        after.monthly_total,
        cost.delta(before, after),
        as_of,
    )


def _signed(value: float) -> str:
    return f"{value:+,.2f}" if round(value, 2) else "0.00"


def headline(delta: CostDelta) -> str:
    """One line: total before -> after and the difference."""
    if delta.unpriced:
        return f"Cost: not estimated ({delta.unpriced})"
    return (
        f"Cost ({delta.currency}/month, estimate): {delta.total_before:,.2f} -> {delta.total_after:,.2f} "
        f"({_signed(delta.delta)})"
    )


def render_text(delta: CostDelta) -> str:
    lines = [headline(delta)]
    if delta.unpriced:
        return lines[0]
    width = max((len(n) for n, _, _ in delta.layers()), default=0)
    for name, before, after in delta.layers():
        change = f"  ({_signed(after - before)})" if round(after - before, 2) else ""
        lines.append(f"  {name:<{width}}  {before:>10,.2f} -> {after:>10,.2f}{change}")
    return "\n".join(lines)


def render_markdown(delta: CostDelta) -> str:
    if delta.unpriced:
        return f"**Cost**: not estimated ({delta.unpriced})\n"
    out = [
        f"**Cost** ({delta.currency}/month, estimate at the prices of {delta.as_of}; usage-dependent charges "
        f"not included, see `tools.cost`): {delta.total_before:,.2f} → {delta.total_after:,.2f} "
        f"({_signed(delta.delta)})",
        "",
        "| layer | before | after | change |",
        "|---|---:|---:|---:|",
    ]
    for name, before, after in delta.layers():
        change = _signed(after - before) if round(after - before, 2) else ""
        out.append(f"| {name} | {before:,.2f} | {after:,.2f} | {change} |")
    return "\n".join(out) + "\n"

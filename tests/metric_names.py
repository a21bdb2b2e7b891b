"""The metric names the real emitters produce at their pins, read from the vendored samples.

- ClickHouse 25.8 server and Keeper (`tests/upstream/clickhouse-25.8.29.51/`), named as their
  Prometheus endpoint names them (src/Server/PrometheusMetricsWriter.cpp: prefix per group,
  `[^a-zA-Z0-9_:]` -> `_`, leading non-letters dropped);
- the exporters the program scrapes (`tests/upstream/exporters/`);
- Prometheus' own series of every target (`up`, `scrape_*`).

A `{placeholder}` of a vendored name is a runtime-built part: `template_regex` turns it into a
regular expression a concrete name must match.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

UPSTREAM = Path(__file__).resolve().parent / "upstream"
CLICKHOUSE = UPSTREAM / "clickhouse-25.8.29.51"
EXPORTERS = UPSTREAM / "exporters"

PROFILE_EVENTS_PREFIX = "ClickHouseProfileEvents_"
METRICS_PREFIX = "ClickHouseMetrics_"
ASYNC_PREFIX = "ClickHouseAsyncMetrics_"
ERRORS_PREFIX = "ClickHouseErrorMetric_"
# Prometheus writes these for every target it scrapes (not exporters' names).
PROMETHEUS_TARGET_SERIES = (
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
)
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


@functools.cache
def clickhouse(kind: str) -> tuple[str, ...]:
    """A vendored ClickHouse list: `metrics`, `events`, `errors`, `asynchronous_metrics`,
    `keeper_metrics`, `keeper_events`, `keeper_asynchronous_metrics`."""
    return tuple(_lines(CLICKHOUSE / f"{kind}.txt"))


def sanitize(name: str) -> str:
    """PrometheusMetricsWriter's `replaceInvalidChars`: invalid characters to `_`, then leading
    characters that are not letters removed."""
    return re.sub(r"^[^a-zA-Z]*", "", re.sub(r"[^a-zA-Z0-9_:]", "_", name))


def endpoint_name(prefix: str, raw: str) -> str:
    """A raw ClickHouse name as the endpoint writes it: events and metrics are sanitized before the
    prefix, asynchronous metrics with it, error names are written as they are."""
    if prefix == ASYNC_PREFIX:
        return sanitize(prefix + raw)
    if prefix == ERRORS_PREFIX:
        return prefix + raw
    return prefix + sanitize(raw)


def template_regex(prefix: str, template: str) -> re.Pattern[str]:
    """A vendored template as the regular expression of the endpoint names it can produce: each
    literal part as the endpoint writes it, each placeholder one or more valid characters."""
    literals = [re.escape(re.sub(r"[^a-zA-Z0-9_:]", "_", part)) for part in _PLACEHOLDER.split(template)]
    return re.compile(re.escape(prefix) + "[a-zA-Z0-9_:]+".join(literals))


@dataclass(frozen=True)
class Endpoint:
    """The names one endpoint can write: concrete names and templates (as regular expressions)."""

    names: frozenset[str]
    templates: tuple[re.Pattern[str], ...]

    def emits(self, name: str) -> bool:
        return name in self.names or any(t.fullmatch(name) for t in self.templates)


def _endpoint(groups: list[tuple[str, tuple[str, ...]]]) -> Endpoint:
    names, templates = set(), []
    for prefix, raws in groups:
        for raw in raws:
            if _PLACEHOLDER.search(raw):
                templates.append(template_regex(prefix, raw))
            else:
                names.add(endpoint_name(prefix, raw))
    return Endpoint(frozenset(names), tuple(templates))


@functools.cache
def clickhouse_server() -> Endpoint:
    """A ClickHouse server's `<prometheus>` endpoint."""
    return _endpoint(
        [
            (PROFILE_EVENTS_PREFIX, clickhouse("events")),
            (METRICS_PREFIX, clickhouse("metrics")),
            (ASYNC_PREFIX, clickhouse("asynchronous_metrics")),
            (ERRORS_PREFIX, (*clickhouse("errors"), "ALL")),
        ]
    )


@functools.cache
def clickhouse_keeper() -> Endpoint:
    """A Keeper's `<prometheus>` endpoint (`KeeperPrometheusMetricsWriter`: no error metrics)."""
    return _endpoint(
        [
            (PROFILE_EVENTS_PREFIX, clickhouse("keeper_events")),
            (METRICS_PREFIX, clickhouse("keeper_metrics")),
            (ASYNC_PREFIX, clickhouse("keeper_asynchronous_metrics")),
        ]
    )


@dataclass(frozen=True)
class Family:
    """One metric family of an exporter: its name and the labels the exporter sets."""

    exporter: str
    name: str
    labels: tuple[str, ...]


@functools.cache
def exporter_families() -> dict[str, Family]:
    """Every family of every vendored exporter list, by name."""
    families: dict[str, Family] = {}
    for path in sorted(EXPORTERS.glob("*.tsv")):
        for line in _lines(path):
            cells = line.split("\t")
            labels = tuple(label for label in (cells[2].split(",") if len(cells) > 2 else []) if label)
            families[cells[0]] = Family(path.stem, cells[0], labels)
    return families

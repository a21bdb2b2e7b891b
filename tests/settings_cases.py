"""The shared shape of a settings rejection case: one problem, naming its key, its value and the fix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.clickhouse_specs import ClickHouseServiceSpec
from components.settings import ConfigError, parse
from tests.conftest import raw_config

# The external id stored encrypted, as recommended: no warning about it.
SECRET_CLOUD = frozenset({"clickhouseCloud"})


def service(name: str, **fields: Any) -> ClickHouseServiceSpec:
    """One service exactly as the settings parse `services: [{name, **fields}]` (camelCase fields;
    every other field at the settings' default, which nothing here restates)."""
    (spec,) = parse(raw_config({"services": json.dumps([{"name": name, **fields}])}), "dev").clickhouse.services
    return spec


def problems_for(values: dict[str, str], stack: str = "dev", base: bool = True, secret=frozenset()) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(raw_config(values, base=base), stack, secret)
    return err.value.problems


def assert_one_problem(values: dict[str, str | None], key: str, words: str) -> None:
    """`values` (None removes a key) gives exactly one problem, on `key`, containing `words`, with a fix."""
    base = {k: v for k, v in values.items() if v is not None}
    raw = raw_config(base)
    for k, v in values.items():
        if v is None:
            raw.pop(k if ":" in k else f"clickhouse-byoc:{k}", None)
    with pytest.raises(ConfigError) as err:
        parse(raw, "dev")
    lines = err.value.problems
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(f"{key}: "), line
    assert words in line, line
    # problem; fix
    assert ";" in line

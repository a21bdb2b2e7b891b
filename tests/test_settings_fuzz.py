"""No configuration, however wrong, ends in anything but a clean ConfigError (never a traceback)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from components import settings as config
from tests.conftest import raw_config

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "10.0.0.0/22", "100.64.0.0/16", "0.0.0.0/0", "us-west-2a", "true", "1Gi", "a" * 70]),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def field_maps():
    """Maps built from a key's real field names, so fuzzing reaches the per-field checks."""
    keys = sorted(config.OBJECT_FIELDS)
    return st.sampled_from(keys).flatmap(
        lambda key: st.tuples(
            st.just(key),
            st.dictionaries(st.sampled_from(sorted(config.OBJECT_FIELDS[key])), VALUES, max_size=6),
        )
    )


def as_config_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@settings(max_examples=100, deadline=None)
@given(
    top=st.dictionaries(st.sampled_from(sorted(config.KNOWN_KEYS)), VALUES, max_size=6),
    maps=st.lists(field_maps(), max_size=3),
    services=st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "shards",
                    "replicas",
                    "cpu",
                    "memory",
                    "cacheSize",
                    "stopped",
                    "mysqlInterface",
                    "mysqlPort",
                    "clickhouseVersion",
                ]
            ),
            VALUES,
            max_size=9,
        ),
        max_size=3,
    ),
)
def test_parse_returns_settings_or_raises_config_error(top, maps, services):
    values = {k: as_config_text(v) for k, v in top.items() if v is not None}
    values.update({k: json.dumps(v) for k, v in maps})
    if services:
        values["services"] = json.dumps(services)
    try:
        parsed = config.parse(raw_config(values), "fuzz")
    except config.ConfigError as err:
        assert err.problems
        for line in err.problems:
            assert line.startswith(("clickhouse-byoc:", "aws:")), line
            assert "\n" not in line, line
    else:
        assert isinstance(parsed, config.Settings)

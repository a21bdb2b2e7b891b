"""DNS settings: the zone services are published in."""

from __future__ import annotations

import pytest

from tests.settings_cases import assert_one_problem

# (config, key named in the problem, words of the problem)
BAD = [
    ({"dns": "byoc.example.com"}, "clickhouse-byoc:dns", "not a map"),
    ({"dns": '{"hostedZoneId": "Z0123456789ABCDEFGHIJ"}'}, "clickhouse-byoc:dns.zoneName", "required"),
    ({"dns": '{"zoneName": "Not A Zone", "createZone": true}'}, "clickhouse-byoc:dns.zoneName", "not a DNS zone name"),
    ({"dns": '{"zoneName": "byoc.example.com"}'}, "clickhouse-byoc:dns.hostedZoneId", "required unless dns.createZone"),
    (
        {"dns": '{"zoneName": "byoc.example.com", "hostedZoneId": "zone-1"}'},
        "clickhouse-byoc:dns.hostedZoneId",
        "not a Route 53",
    ),
    (
        {"dns": '{"zoneName": "byoc.example.com", "hostedZoneId": "Z0123456789", "createZone": true}'},
        "clickhouse-byoc:dns.createZone",
        "conflicts",
    ),
    (
        {"dns": '{"zoneName": "byoc.example.com", "createZone": "yes"}'},
        "clickhouse-byoc:dns.createZone",
        "not true or false",
    ),
    (
        {"dns": '{"zoneName": "byoc.example.com", "createZone": true, "zoneNmae": "x"}'},
        "clickhouse-byoc:dns.zoneNmae",
        "did you mean zoneName",
    ),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    assert_one_problem(values, key, words)

"""Settings of the ClickHouse services and their endpoints: defaults, valid input, every rejection."""

from __future__ import annotations

import json

import pytest

from components import versions
from components.backup import BackupSpec
from components.clickhouse_specs import ClickHouseServiceSpec
from components.services import ServicesSpec
from components.settings import ConfigError, parse
from tests.conftest import raw_config

ALLOW = {"ipAllowList": '["203.0.113.0/24"]'}


def services(*items) -> str:
    return json.dumps(list(items))


def test_defaults_no_services_public_endpoint_on():
    ch = parse(raw_config(), "dev").clickhouse
    assert ch.services == () and ch.ip_allow_list == ("198.51.100.0/24",)
    assert ch.public_endpoint is True and ch.allow_any_source is False
    assert ch.public_gateway is True


def test_public_endpoint_without_allow_list_is_an_error_even_without_services():
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"ipAllowList": None}), "dev")
    (line,) = err.value.problems
    assert line.startswith("clickhouse-byoc:ipAllowList: (not set): empty while the public endpoint is enabled;")
    assert "publicEndpoint.allowAnySource true" in line and "publicEndpoint.enabled false" in line


def test_service_defaults_applied():
    ch = parse(raw_config({"services": services({"name": "analytics"}), **ALLOW}), "dev").clickhouse
    # Parsed straight into the services layer's own types: nothing copies them into another.
    assert type(ch) is ServicesSpec
    assert ch.services == (
        ClickHouseServiceSpec(
            name="analytics",
            shards=1,
            replicas=2,
            clickhouse_version=versions.CLICKHOUSE_VERSION,
            cpu="2",
            memory="8Gi",
            cache_size="50Gi",
            stopped=False,
            mysql_interface=False,
            backup=BackupSpec(enabled=True, schedule="0 2 * * *", retention_days=7, full_every_days=7),
            restore=None,
            mysql_port=None,
        ),
    )
    assert ch.ip_allow_list == ("203.0.113.0/24",)
    assert ch.public_gateway is True and ch.mysql_interface is False


def test_full_service_values_and_typed_strings_from_path_sets():
    item = {
        "name": "logs-eu",
        "shards": "2",
        "replicas": 3,
        "clickhouseVersion": "25.8.2.29",
        "cpu": "1500m",
        "memory": "16Gi",
        "cacheSize": "1Ti",
        "stopped": "true",
        "mysqlInterface": True,
    }
    (svc,) = parse(raw_config({"services": services(item), **ALLOW}), "dev").clickhouse.services
    assert (svc.shards, svc.replicas, svc.clickhouse_version) == (2, 3, "25.8.2.29")
    assert (svc.cpu, svc.memory, svc.cache_size, svc.stopped, svc.mysql_interface) == (
        "1500m",
        "16Gi",
        "1Ti",
        True,
        True,
    )


def test_public_endpoint_off_needs_no_allow_list():
    ch = parse(raw_config({"services": services({"name": "a"}), "publicEndpoint": '{"enabled": false}'}), "dev")
    assert ch.clickhouse.public_endpoint is False and ch.clickhouse.public_gateway is False
    shorthand = parse(raw_config({"services": services({"name": "a"}), "publicEndpoint": "false"}), "dev")
    assert shorthand.clickhouse.public_endpoint is False


def test_allow_any_source_is_the_explicit_opt_out():
    ch = parse(
        raw_config(
            {"services": services({"name": "a"}), "publicEndpoint": '{"allowAnySource": true}', "ipAllowList": None}
        ),
        "dev",
    ).clickhouse
    assert ch.allow_any_source and ch.public_gateway and ch.ip_allow_list == ()


def test_host_ranges_accepted():
    ch = parse(raw_config({"ipAllowList": '["198.51.100.7/32", "10.20.0.0/16"]'}), "dev").clickhouse
    assert ch.ip_allow_list == ("198.51.100.7/32", "10.20.0.0/16")


S = "clickhouse-byoc:services"
# (config, key named in the problem, words of the problem)
BAD = [
    ({"services": '{"name": "a"}'}, S, "not a list"),
    ({"services": '["a"]'}, f"{S}[0]", "not a map"),
    ({"services": services({"shards": 1})}, f"{S}[0].name", "missing or invalid"),
    ({"services": services({"name": "Analytics"})}, f"{S}[0].name", "lowercase DNS label"),
    ({"services": services({"name": "1st"})}, f"{S}[0].name", "starting with a letter"),
    ({"services": services({"name": "a" * 31})}, f"{S}[0].name", "at most 30"),
    ({"services": services({"name": "a-"})}, f"{S}[0].name", "invalid service name"),
    ({"services": services({"name": "a_b"})}, f"{S}[0].name", "invalid service name"),
    ({"services": services({"name": "a"}, {"name": "a"})}, f"{S}[1].name", "duplicate of services[0]"),
    ({"services": services({"name": "a-private"})}, f"{S}[0].name", "private hostname"),
    ({"services": services({"name": "a", "replica": 2})}, f"{S}[0].replica", "did you mean replicas?"),
    ({"services": services({"name": "a", "shards": 0})}, f"{S}[0].shards", "out of range"),
    ({"services": services({"name": "a", "replicas": 9})}, f"{S}[0].replicas", "out of range"),
    ({"services": services({"name": "a", "replicas": "two"})}, f"{S}[0].replicas", "not a whole number"),
    ({"services": services({"name": "a", "cpu": "two"})}, f"{S}[0].cpu", "not a Kubernetes quantity"),
    ({"services": services({"name": "a", "cpu": "100m"})}, f"{S}[0].cpu", "too small"),
    ({"services": services({"name": "a", "memory": "8GB"})}, f"{S}[0].memory", "not a Kubernetes quantity"),
    ({"services": services({"name": "a", "memory": "512Mi"})}, f"{S}[0].memory", "too small"),
    ({"services": services({"name": "a", "cacheSize": "-5Gi"})}, f"{S}[0].cacheSize", "not a Kubernetes quantity"),
    ({"services": services({"name": "a", "stopped": "maybe"})}, f"{S}[0].stopped", "not true or false"),
    ({"services": services({"name": "a", "mysqlInterface": 1})}, f"{S}[0].mysqlInterface", "not true or false"),
    ({"services": services({"name": "a", "clickhouseVersion": 25.1})}, f"{S}[0].clickhouseVersion", "quote it"),
    (
        {"services": services({"name": "a", "clickhouseVersion": "latest"})},
        f"{S}[0].clickhouseVersion",
        "not a clickhouse-server image tag",
    ),
    ({"ipAllowList": "203.0.113.0/24"}, "clickhouse-byoc:ipAllowList", "not a list"),
    ({"ipAllowList": '["203.0.113.1/24"]'}, "clickhouse-byoc:ipAllowList[0]", "host bits"),
    ({"ipAllowList": '["office"]'}, "clickhouse-byoc:ipAllowList[0]", "not a CIDR"),
    ({"ipAllowList": '["0.0.0.0/0"]'}, "clickhouse-byoc:ipAllowList[0]", "allowAnySource"),
    ({"ipAllowList": '["::/0"]'}, "clickhouse-byoc:ipAllowList[0]", "allows every address"),
    ({"ipAllowList": '["2001:db8::/32"]'}, "clickhouse-byoc:ipAllowList[0]", "IPv4-only"),
    ({"ipAllowList": '["10.9.0.0/16", "10.9.0.0/16"]'}, "clickhouse-byoc:ipAllowList[1]", "listed twice"),
    (
        {"ipAllowList": json.dumps([f"198.51.{i}.0/24" for i in range(21)])},
        "clickhouse-byoc:ipAllowList",
        "at most 20",
    ),
    (
        {"services": services({"name": "a"}), "ipAllowList": "[]"},
        "clickhouse-byoc:ipAllowList",
        "empty while the public",
    ),
    ({"publicEndpoint": '{"enable": false}'}, "clickhouse-byoc:publicEndpoint.enable", "did you mean enabled?"),
    ({"publicEndpoint": '{"allowAnySource": "yes"}'}, "clickhouse-byoc:publicEndpoint.allowAnySource", "not true"),
    ({"publicEndpoint": '"open"'}, "clickhouse-byoc:publicEndpoint", "not a map"),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    # With an allow list unless the case is about it, so each case shows exactly its own problem.
    with pytest.raises(ConfigError) as err:
        parse(raw_config({**ALLOW, **values}), "dev")
    lines = err.value.problems
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{key}: "), lines[0]
    assert words in lines[0], lines[0]
    assert ";" in lines[0]


def test_every_service_problem_reported_at_once():
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"services": services({"name": "A", "cpu": "x"}, {"name": "b", "replicas": 0})}), "dev")
    keys = [line.split(": ")[0] for line in err.value.problems]
    assert keys == [
        "clickhouse-byoc:services[0].name",
        "clickhouse-byoc:services[0].cpu",
        "clickhouse-byoc:services[1].replicas",
    ]


def test_service_name_too_long_for_its_iam_role_with_a_long_deployment_id():
    # ClickHouse-cloud-<20 chars>-clickhouse- is 49 characters: 15 are left for the name.
    values = {"deploymentId": "a" * 20, "services": services({"name": "s" * 16}, {"name": "s" * 15})}
    with pytest.raises(ConfigError) as err:
        parse(raw_config(values), "dev")
    (line,) = err.value.problems
    assert line.startswith(f"clickhouse-byoc:services[0].name: {'s' * 16}: too long for deploymentId")
    assert "would be 65 characters (AWS allows 64); use at most 15 characters" in line
    # The longest service name (30) fits with a deployment id of up to 5 characters.
    parse(raw_config({"deploymentId": "a" * 5, "services": services({"name": "s" * 30})}), "dev")

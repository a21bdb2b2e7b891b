"""The MySQL interface: a port per service, TLS by ClickHouse itself.

- ClickHouse's configuration (`config.d/mysql.xml`) against what the 25.8 server reads and does,
  recorded in `tests/upstream/clickhouse-25.8.29.51/mysql-tls.json` (sources in its SOURCES.md),
  merged over the image's own defaults as ClickHouse merges `config.d` files.
- The certificate and its mount: the names clients connect to, the files the server reads, who may
  read them, and that a renewal reaches the files.
- The settings that decide the ports: derived (stable) or explicit, and each rejection on one line.
- The read-only BI user of docs/clickhouse.md, parsed by ClickHouse's own parser (chDB).
The port plumbing end to end (NLB listener to ClickHouse) is in tests/test_charts.py, on the rendered
charts; the day-2 plans in tests/test_day2_plan.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from components import clickhouse_specs, ingress
from components import k8s_conventions as conv
from components.clickhouse_specs import ClickHouseServiceSpec
from components.settings import ConfigError, parse
from components.settings import services as svc_settings
from tests.conftest import raw_config
from tests.settings_cases import service

ROOT = Path(__file__).resolve().parent.parent
REF = json.loads((ROOT / "tests/upstream/clickhouse-25.8.29.51/mysql-tls.json").read_text())
ZONE = "byoc.example.com"


def _leaves(element: ET.Element, prefix: str = "") -> dict[str, str]:
    """`a.b.c` -> text of every leaf element, as ClickHouse's configuration names keys."""
    out: dict[str, str] = {}
    for child in element:
        key = f"{prefix}{child.tag}"
        if len(child):
            out |= _leaves(child, key + ".")
        else:
            out[key] = (child.text or "").strip()
    return out


def _unknown(xml: str) -> list[str]:
    """Keys of a config file the 25.8 server does not read (MySQL and `openSSL.server` keys)."""
    context = set(REF["openssl_context_keys"])
    out = []
    for key in _leaves(ET.fromstring(xml)):
        if key in REF["server_keys"]:
            continue
        if key.startswith("openSSL.server.") and key.removeprefix("openSSL.server.").split(".")[0] in context:
            continue
        out.append(key)
    return out


def _effective_tls() -> dict[str, str]:
    """The `openSSL.server` context the server builds: the image's config.xml, then config.d/mysql.xml
    over it. ClickHouse merges a config.d file into the main one element by element, a leaf replacing
    the leaf of the same path, unless the file says `replace`/`remove` (this one does not)."""
    root = ET.fromstring(clickhouse_specs.mysql_config_xml())
    assert all(not e.attrib for e in root.iter()), "merge attributes would change the merge"
    effective = dict(REF["image_defaults"]["openSSL.server"])
    ours = {k.removeprefix("openSSL.server."): v for k, v in _leaves(root).items() if k.startswith("openSSL.server.")}
    return effective | ours


# --- ClickHouse's configuration -----------------------------------------------------------------------


def test_the_config_file_sets_only_keys_the_258_server_reads():
    xml = clickhouse_specs.mysql_config_xml()
    root = ET.fromstring(xml)
    assert root.tag == "clickhouse"
    assert _unknown(xml) == []
    keys = _leaves(root)
    assert keys["mysql_port"] == str(ingress.CLICKHOUSE_MYSQL_PORT) == REF["image_defaults"]["mysql_port"]
    assert keys["mysql_require_secure_transport"] == "true"


def test_the_key_check_bites():
    typo = clickhouse_specs.mysql_config_xml().replace("certificateFile>", "certificatFile>")
    assert _unknown(typo) == ["openSSL.server.certificatFile"]
    assert _unknown("<clickhouse><mysql_require_ssl>1</mysql_require_ssl></clickhouse>") == ["mysql_require_ssl"]


def test_the_server_serves_the_secret_with_tls_12_or_newer_and_asks_no_client_certificate():
    tls = _effective_tls()
    keys = REF["certificate_secret_keys"]
    assert tls["certificateFile"] == f"{clickhouse_specs.MYSQL_TLS_DIR}/{keys['certificate']}"
    assert tls["privateKeyFile"] == f"{clickhouse_specs.MYSQL_TLS_DIR}/{keys['private_key']}"
    tokens = [t.strip() for t in re.split(f"[{REF['disable_protocols']['separators']}]", tls["disableProtocols"])]
    names = REF["disable_protocols"]["tokens"]
    assert set(tokens) <= set(names), tokens
    # The image's default leaves TLS 1.0 and 1.1 on; ours turns them off, like the gateways' TLSV1_2.
    assert {names[t] for t in tokens} == {"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"}
    assert REF["image_defaults"]["openSSL.server"]["disableProtocols"] == "sslv2,sslv3"
    # MySQL clients present no certificate: the server must not demand one.
    assert tls["verificationMode"] == "none" and tls["verificationMode"] in REF["verification_modes"]


def test_clickhouse_loads_the_file_with_the_values_meant(tmp_path):
    # The engine's own config loader (chDB, ClickHouse 26.9: the newest engine at hand, and the first
    # to list `openSSL.server.*` and `mysql_require_secure_transport` in system.server_settings; 25.8
    # reads the same keys, mysql-tls.json) parses config.d/mysql.xml and takes each value as meant.
    chdb = pytest.importorskip("chdb")
    path = tmp_path / "config.xml"
    path.write_text(clickhouse_specs.mysql_config_xml())
    conn = chdb.connect(f":memory:?config-file={path}")
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT name, value, changed FROM system.server_settings "
            "WHERE name = 'mysql_require_secure_transport' OR name LIKE 'openSSL.server.%'"
        )
        rows = {name: (value, changed) for name, value, changed in cur.fetchall()}
    finally:
        conn.close()
    tls = _effective_tls()
    assert rows["mysql_require_secure_transport"] == ("1", 1)
    for key in ("certificateFile", "privateKeyFile", "disableProtocols"):
        assert rows[f"openSSL.server.{key}"] == (tls[key], 1), key
    # Only what the file sets has changed.
    assert {k for k, (_, changed) in rows.items() if changed} == {
        "mysql_require_secure_transport",
        "openSSL.server.certificateFile",
        "openSSL.server.privateKeyFile",
        "openSSL.server.disableProtocols",
    }


def test_plaintext_clients_are_refused():
    # mysql_require_secure_transport: "Connection with option --ssl-mode=none will be refused".
    assert "refused" in REF["server_keys"]["mysql_require_secure_transport"]
    assert _leaves(ET.fromstring(clickhouse_specs.mysql_config_xml()))["mysql_require_secure_transport"] == "true"


# --- the certificate and its mount ------------------------------------------------------------------


def _chi(service: ClickHouseServiceSpec) -> dict:
    return clickhouse_specs.chi_spec(
        service, bucket="b", region="us-west-2", networks=["10.0.0.0/22"], service_account="sa"
    )


def test_the_servers_mount_the_whole_secret_readable_by_the_clickhouse_user_only():
    spec = _chi(service("analytics", mysqlInterface=True))
    (pod,) = spec["templates"]["podTemplates"]
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == clickhouse_specs.MYSQL_TLS_VOLUME]
    assert volume["secret"]["secretName"] == clickhouse_specs.mysql_tls_secret_name("analytics")
    (container,) = [c for c in pod["spec"]["containers"] if c["name"] == "clickhouse"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    # A subPath mount is never updated by the kubelet: a renewed certificate would not reach the file.
    assert mount == {"name": volume["name"], "mountPath": clickhouse_specs.MYSQL_TLS_DIR, "readOnly": True}
    tls = _effective_tls()
    assert tls["certificateFile"].startswith(mount["mountPath"] + "/")
    assert tls["privateKeyFile"].startswith(mount["mountPath"] + "/")
    # The Secret's files belong to root and the pod's fsGroup, which every process of the pod has as a
    # supplementary group: group-readable reaches the server (a non-root user), nobody else reads.
    security = pod["spec"]["securityContext"]
    mode = volume["secret"]["defaultMode"]
    assert security["fsGroup"] is not None and security["runAsUser"] != 0
    assert mode & 0o040 and not mode & 0o007 and not mode & 0o222


def test_a_service_without_the_interface_has_none_of_it():
    spec = _chi(service("analytics"))
    assert clickhouse_specs.MYSQL_CONFIG_FILE not in spec["configuration"]["files"]
    (pod,) = spec["templates"]["podTemplates"]
    assert clickhouse_specs.MYSQL_TLS_VOLUME not in [v["name"] for v in pod["spec"].get("volumes", [])]
    mounts = [m for c in pod["spec"]["containers"] for m in c.get("volumeMounts", [])]
    assert clickhouse_specs.MYSQL_TLS_VOLUME not in [m["name"] for m in mounts]
    (template,) = spec["templates"]["serviceTemplates"]
    assert ingress.CLICKHOUSE_MYSQL_PORT not in {p["port"] for p in template["spec"]["ports"]}


def test_the_certificate_names_exactly_the_hosts_clients_connect_to():
    both = ingress.mysql_certificate_spec("analytics", ZONE, True, "s")
    assert both["dnsNames"] == ["analytics.byoc.example.com", "analytics-private.byoc.example.com"]
    assert ingress.mysql_certificate_spec("analytics", ZONE, False, "s")["dnsNames"] == [
        "analytics-private.byoc.example.com"
    ]
    assert both["issuerRef"] == {"name": conv.ISSUER_PRODUCTION, "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert both["privateKey"] == {"algorithm": "RSA", "size": 2048, "rotationPolicy": "Always"}
    # Renewed a month before it expires, by cert-manager alone: no Pulumi change, no restart.
    assert (both["duration"], both["renewBefore"]) == ("2160h", "720h")
    assert both["secretName"] == "s"


def test_renewal_reaches_the_server_through_the_files_the_reloader_watches():
    # The main config reloader watches exactly openSSL.server.certificateFile and privateKeyFile and
    # reloads the certificate when either changes (mysql-tls.json, behaviour): the file sets those
    # keys (not a per-protocol `protocols.*` pair), and the MySQL handler uses that very context.
    behaviour = REF["behaviour"]
    assert "openSSL.server.certificateFile and privateKeyFile" in behaviour["certificate_reload"]
    assert "default server context (openSSL.server)" in behaviour["mysql_tls_context"]
    keys = _leaves(ET.fromstring(clickhouse_specs.mysql_config_xml()))
    assert {"openSSL.server.certificateFile", "openSSL.server.privateKeyFile"} <= set(keys)
    assert not [k for k in keys if k.startswith("protocols.")]


# --- the ports -----------------------------------------------------------------------------------------


def _settings(*services: dict, **extra: str):
    return parse(raw_config({"services": json.dumps(list(services)), **extra}), "dev").clickhouse


def test_the_derived_port_is_the_formula_the_docs_give():
    text = (ROOT / "docs/configuration.md").read_text()
    (line,) = re.findall(r"`(python3 -c '[^`]*hashlib[^`]*')`", text)
    out = subprocess.run(
        [sys.executable, "-c", line.split("'")[1], "analytics"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert int(out) == svc_settings.derived_mysql_port("analytics") == 13337
    assert svc_settings.MYSQL_PORT_FIRST <= svc_settings.derived_mysql_port("x" * 30) < 14000


def test_a_port_depends_on_the_service_alone():
    a = {"name": "analytics", "mysqlInterface": True}
    orders = [
        [a],
        [{"name": "events", "mysqlInterface": True}, a],
        [{"name": "events"}, a, {"name": "logs", "mysqlInterface": True}],
        [{"name": "logs", "mysqlInterface": True}, a],
    ]
    assert {dict(_settings(*o).mysql_ports)["analytics"] for o in orders} == {13337}
    explicit = _settings({**a, "mysqlPort": 3306}, {"name": "logs", "mysqlInterface": True})
    assert explicit.mysql_ports == (("analytics", 3306), ("logs", 13706))
    assert _settings({"name": "analytics"}).mysql_ports == ()


def _colliding_names() -> tuple[str, str]:
    seen: dict[int, str] = {}
    for i in range(2000):
        name = f"svc{i}"
        port = svc_settings.derived_mysql_port(name)
        if port in seen:
            return seen[port], name
        seen[port] = name
    raise AssertionError("no two names share a port")


def _problem(*services: dict) -> str:
    with pytest.raises(ConfigError) as err:
        _settings(*services)
    (line,) = err.value.problems
    assert "\n" not in line
    return line


@pytest.mark.parametrize(
    ("service", "words"),
    [
        ({"mysqlPort": 3306}, "does nothing while services[0].mysqlInterface is false"),
        ({"mysqlInterface": True, "mysqlPort": 80}, "out of range; use 1024-65535"),
        ({"mysqlInterface": True, "mysqlPort": 70000}, "out of range; use 1024-65535"),
        ({"mysqlInterface": True, "mysqlPort": 8443}, "is the gateways' HTTPS port"),
        ({"mysqlInterface": True, "mysqlPort": 9440}, "is the gateways' native TLS port"),
        ({"mysqlInterface": True, "mysqlPort": 15021}, "a port Istio's proxy uses"),
        ({"mysqlInterface": True, "mysqlPort": 15090}, "a port Istio's proxy uses"),
        ({"mysqlInterface": True, "mysqlPort": "many"}, "not a whole number"),
    ],
)
def test_a_bad_port_is_refused_on_one_line(service, words):
    line = _problem({"name": "analytics", **service})
    assert line.startswith("clickhouse-byoc:services[0].mysqlPort: ") and words in line, line


def test_two_services_on_one_port_are_refused_naming_the_fix():
    line = _problem(
        {"name": "analytics", "mysqlInterface": True, "mysqlPort": 3306},
        {"name": "logs", "mysqlInterface": True, "mysqlPort": 3306},
    )
    assert line.startswith("clickhouse-byoc:services[1].mysqlPort: 3306: services[0] (analytics) and services[1]")
    assert "give the one you are adding its own services[].mysqlPort, e.g. 3307" in line
    # An explicit port on the port another derives from its name.
    line = _problem(
        {"name": "analytics", "mysqlInterface": True}, {"name": "logs", "mysqlInterface": True, "mysqlPort": 13337}
    )
    assert line.startswith("clickhouse-byoc:services[1].mysqlPort: 13337: ")
    # Two names that derive the same port: found by search, so the rule is the real formula's.
    first, second = _colliding_names()
    line = _problem({"name": first, "mysqlInterface": True}, {"name": second, "mysqlInterface": True})
    port = svc_settings.derived_mysql_port(first)
    assert line.startswith(f"clickhouse-byoc:services[1].mysqlPort: {port}: services[0] ({first})")
    free = int(re.search(r"e\.g\. (\d+)", line).group(1))
    fixed = _settings(
        {"name": first, "mysqlInterface": True}, {"name": second, "mysqlInterface": True, "mysqlPort": free}
    )
    assert dict(fixed.mysql_ports) == {first: port, second: free}


def test_more_mysql_ports_than_a_load_balancer_has_listeners_are_refused():
    # "Listeners per Network Load Balancer": 50, not adjustable (tests/upstream/aws-docs/nlb-quotas.md);
    # the status, HTTPS and native ports take three of them.
    text = (ROOT / "tests/upstream/aws-docs/nlb-quotas.md").read_text()
    (row,) = [line for line in text.splitlines() if line.startswith("| Listeners per Network Load Balancer")]
    assert [c.strip() for c in row.strip("|").split("|")][1:] == ["50", "No"]
    assert svc_settings.NLB_LISTENERS_MAX == 50 and len(ingress.gateway_ports([])) == 3
    services = [{"name": f"s{i}", "mysqlInterface": True, "mysqlPort": 20000 + i, "stopped": True} for i in range(48)]
    assert len(_settings(*services[:47], awsQuotas=json.dumps({"rulesPerSecurityGroup": 200})).mysql_ports) == 47
    with pytest.raises(ConfigError) as err:
        parse(
            raw_config({"services": json.dumps(services), "awsQuotas": json.dumps({"rulesPerSecurityGroup": 200})}),
            "dev",
        )
    lines = [line for line in err.value.problems if "Listeners per Network Load Balancer" in line]
    assert len(lines) == 1 and lines[0].startswith("clickhouse-byoc:services[47].mysqlInterface: true: ")
    assert "expose at most 47 services over MySQL" in lines[0]


# --- the docs -----------------------------------------------------------------------------------------


def test_the_docs_connect_with_verified_tls_to_the_names_the_certificate_holds():
    text = (ROOT / "docs/clickhouse.md").read_text()
    section = text[text.index("### Connect over MySQL") : text.index("## Benchmark")]
    command = " ".join(section[section.index("mysql --host") :].split("```")[0].replace("\\\n", " ").split())
    host = re.search(r"--host (\S+)", command).group(1)
    port = int(re.search(r"--port (\d+)", command).group(1))
    assert "--ssl-mode=VERIFY_IDENTITY" in command and "--ssl-ca=" in command
    (jdbc,) = re.findall(r"jdbc:mysql://([^/:]+):(\d+)/\S*sslMode=VERIFY_IDENTITY", section)
    (private,) = re.findall(r"`([a-z0-9.-]+-private\.[a-z0-9.-]+):(\d+)`", section)
    # The dev stack's service and zone: the derived port, and names its certificate holds.
    names = ingress.mysql_certificate_spec("analytics", ZONE, True, "s")["dnsNames"]
    assert (host, port) == (jdbc[0], int(jdbc[1])) == (names[0], svc_settings.derived_mysql_port("analytics"))
    assert (private[0], int(private[1])) == (names[1], port)


def test_no_local_tls_wrapper_anywhere_in_the_docs():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text().lower()
        for word in ("socat", "stunnel", "ghostunnel", "tls wrapper", "-h 127.0.0.1"):
            assert word not in text, (page.name, word)


# --- users ---------------------------------------------------------------------------------------------


def _doc_sql() -> list[str]:
    """The statements of the BI user block in docs/clickhouse.md (the ```sql block under "MySQL")."""
    text = (ROOT / "docs/clickhouse.md").read_text()
    section = text[text.index("### A read-only user for BI tools") :]
    block = section[section.index("```sql\n") + 7 : section.index("```", section.index("```sql\n") + 7)]
    code = "\n".join(line for line in block.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def test_the_bi_user_of_the_docs_parses_and_reads_only():
    chdb = pytest.importorskip("chdb")
    statements = _doc_sql()
    assert statements

    def formatted(sql: str) -> str:
        literal = "'" + sql.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return chdb.query(f"SELECT formatQuery({literal})", "TSVRaw").bytes().decode().strip()

    texts = [formatted(s) for s in statements]
    assert all(texts), statements
    creates = [t for t in texts if t.startswith("CREATE USER")]
    # One user per password type the MySQL handler authenticates (mysql-tls.json, auth_plugins).
    kinds = {m for t in creates for m in re.findall(r"IDENTIFIED WITH (\w+)", t)}
    assert kinds == set(REF["behaviour"]["auth_plugins"]) == {"sha256_password", "double_sha1_password"}
    grants = [t for t in texts if t.startswith("GRANT")]
    assert grants and all(re.match(r"GRANT SELECT ON \S+ TO ", g) for g in grants), grants
    with pytest.raises(RuntimeError):
        formatted("CREATE USER bi IDENTIFIED WITH double_sha1 BY 'x'")

"""Secrets in the offline synth and the change plan: a rotated `secure:` value changes exactly the
inputs that consume it, and the plan says `[secret changed]` without showing a value."""

from __future__ import annotations

import hashlib
import json
import re

from components import settings
from components.settings import ConfigError, is_placeholder, parse, secret_placeholder
from components.settings.iam import EXTERNAL_ID_RE
from tests.conftest import raw_config
from tools import plan, stackconfig

NS = "clickhouse-byoc"
DEV = stackconfig.ROOT / "Pulumi.dev.yaml"
DEV_EXTERNAL_ID = "v1:Jq3kX0m1Yb8tWcQe:5m0cPzYlVdS8nH2wq4e9R1xT7uKfA3bG6jNs0LvM"
# The same new ciphertext as the day-2 case `rotate-external-id`: one synth serves both.
ROTATED_EXTERNAL_ID = "v1:Rk2mQ9xT4bLw7cNe:3h8sDfG1jKqZ5vXn0pWy6uAe2RtB9cMo4LiS"
ROLE = "aws:iam/role:Role"


def test_the_placeholder_is_the_key_and_a_digest_of_the_ciphertext():
    key = f"{NS}:clickhouseCloud.externalId"
    one = secret_placeholder(key, "v1:AAAA")
    assert one == f"offline-synth-placeholder-clickhouseCloud.externalId-{hashlib.sha256(b'v1:AAAA').hexdigest()[:10]}"
    assert one == secret_placeholder(key, "v1:AAAA")  # the same file, the same synth
    assert secret_placeholder(key, "v1:AAAB") != one  # a rotation is a new value
    assert secret_placeholder(f"{NS}:alerting.vendorWebhook", "v1:AAAA") != one  # per key
    list_item = secret_placeholder(f"{NS}:alerting.receivers[0].routingKey", "v1:AAAA")
    assert re.fullmatch(r"offline-synth-placeholder-alerting\.receivers-0-\.routingKey-[0-9a-f]{10}", list_item)
    assert all(is_placeholder(p) for p in (one, list_item, settings.SECRET_PLACEHOLDER))
    assert not is_placeholder("byoc-test-3f9a2c71") and not is_placeholder(None)


def test_the_stack_file_loader_gives_each_encrypted_value_its_own_placeholder():
    cfg = stackconfig.load(DEV)
    cloud = json.loads(cfg.raw[f"{NS}:clickhouseCloud"])["externalId"]
    webhook = json.loads(cfg.raw[f"{NS}:alerting"])["vendorWebhook"]
    assert cloud == secret_placeholder(f"{NS}:clickhouseCloud.externalId", DEV_EXTERNAL_ID)
    assert webhook.startswith("offline-synth-placeholder-alerting.vendorWebhook-") and webhook != cloud
    assert {f"{NS}:clickhouseCloud", f"{NS}:alerting"} <= cfg.secret_keys


def test_every_secret_shape_check_lets_the_placeholders_through():
    # The external id's format (IAM's sts:ExternalId characters), the webhook and receiver URLs
    # (https only) and Tailscale's key prefixes cannot judge a value the synth cannot decrypt.
    def ph(path: str) -> str:
        return secret_placeholder(f"{NS}:{path}", f"v1:{path}")

    assert EXTERNAL_ID_RE.match(ph("clickhouseCloud.externalId"))
    values = {
        "clickhouseCloud": json.dumps({"externalId": ph("clickhouseCloud.externalId")}),
        "alerting": json.dumps(
            {
                "vendorWebhook": ph("alerting.vendorWebhook"),
                "receivers": [
                    {"name": "hook", "kind": "webhook", "url": ph("alerting.receivers[0].url")},
                    {"name": "chat", "kind": "slack", "url": ph("alerting.receivers[1].url")},
                    {"name": "pager", "kind": "pagerduty", "routingKey": ph("alerting.receivers[2].routingKey")},
                ],
            }
        ),
        "troubleshootingAccess": json.dumps(
            {
                "until": "2999-01-01T00:00:00Z",
                "tailscale": {
                    "enabled": True,
                    "oauthClientId": ph("troubleshootingAccess.tailscale.oauthClientId"),
                    "oauthClientSecret": ph("troubleshootingAccess.tailscale.oauthClientSecret"),
                },
            }
        ),
    }
    secret = frozenset(f"{NS}:{k}" for k in values)
    s = parse(raw_config(values), "dev", secret)
    assert s.observability.spec.vendor_webhook == ph("alerting.vendorWebhook")
    assert s.iam.external_id == ph("clickhouseCloud.externalId")
    # What the checks still refuse: a real value of the wrong shape.
    bad = {**values, "alerting": json.dumps({"vendorWebhook": "http://alerts.example/x"})}
    try:
        parse(raw_config(bad), "dev", secret)
    except ConfigError as err:
        assert [line.split(": ")[0] for line in err.problems] == [f"{NS}:alerting.vendorWebhook"]
    else:
        raise AssertionError("an http:// webhook was accepted")


# -- records and the plan --------------------------------------------------------------------------


def _synth(path) -> list[dict]:
    return plan.synth_now(stackconfig.load(path, stack="dev"))


def test_a_rotated_external_id_updates_exactly_the_vendor_trust_and_shows_no_value(tmp_path, capsys):
    rotated = tmp_path / "Pulumi.dev.yaml"
    text = DEV.read_text()
    assert DEV_EXTERNAL_ID in text
    rotated.write_text(text.replace(DEV_EXTERNAL_ID, ROTATED_EXTERNAL_ID))
    base, now = _synth(DEV), _synth(rotated)

    # Records: the trust policies are masked, each with a digest of its value; no placeholder (let
    # alone a plaintext) is in any record.
    (role,) = [r for r in now if r["type"] == ROLE and r["name"].endswith("-bootstrap-role")]
    assert role["inputs"]["assumeRolePolicy"] == "[secret]" and set(role["secretDigests"]) == {"assumeRolePolicy"}
    assert "offline-synth-placeholder" not in json.dumps(base + now)
    digests = {r["urn"]: r["secretDigests"] for r in base}
    moved = sorted(r["name"] for r in now if r["secretDigests"] != digests[r["urn"]])
    assert moved == ["ClickHouse-cloud-dev-bootstrap-data-plane-mgmt", "ClickHouse-cloud-dev-bootstrap-role"]

    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "now.json").write_text(json.dumps(now))
    files = ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json")]
    outputs = {}
    for fmt in ("--json", "--markdown", None):
        assert plan.main(files + ([fmt] if fmt else [])) == 0
        outputs[fmt] = capsys.readouterr().out
    doc = json.loads(outputs["--json"])
    assert [(c["action"], c["urn"].rsplit("::", 1)[1], c["reasons"]) for c in doc["changes"]] == [
        ("update", "ClickHouse-cloud-dev-bootstrap-data-plane-mgmt", ["assumeRolePolicy: [secret changed]"]),
        ("update", "ClickHouse-cloud-dev-bootstrap-role", ["assumeRolePolicy: [secret changed]"]),
    ]
    assert "assumeRolePolicy: [secret changed]" in outputs["--markdown"]
    assert outputs[None].count("assumeRolePolicy: [secret changed]") == 2
    for out in outputs.values():
        assert "offline-synth" not in out and not any(d in out for r in now for d in r["secretDigests"].values())


def _pair(digest_before: str | None, digest_after: str | None):
    def record(digest):
        return {
            "urn": "urn:pulumi:dev::clickhouse-byoc::kubernetes:core/v1:Secret::hook",
            "type": "kubernetes:core/v1:Secret",
            "name": "hook",
            "custom": True,
            "inputs": {"metadata": {"name": "hook"}, "stringData": "[secret]"},
            "dependencies": [],
            "secretDigests": {"stringData": digest} if digest else {},
        }

    return [record(digest_before)], [record(digest_after)]


def test_the_plan_compares_secrets_by_digest_and_never_prints_one():
    (change,) = plan.diff(*_pair("aaaa11112222", "bbbb33334444")).changes
    assert change.action == "replace"  # a Secret's data is replace-on-change (pulumi-kubernetes diff.go)
    assert change.reasons[0].startswith("stringData: [secret changed] (replace-on-change:")
    rendered = plan.render_text(plan.diff(*_pair("aaaa11112222", "bbbb33334444")))
    assert "aaaa" not in rendered and "bbbb" not in rendered
    # The same digest: unchanged. A side without digests (a synth from before them): `[secret]` is
    # compared with `[secret]`, as before, rather than every secret showing as changed.
    assert plan.diff(*_pair("aaaa11112222", "aaaa11112222")).changes == []
    assert plan.diff(*_pair(None, "bbbb33334444")).changes == []

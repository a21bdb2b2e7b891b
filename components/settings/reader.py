"""Reading the raw configuration map: problem collection, JSON decoding, type coercion, maps, unknown keys.

Every layer's validator reads through these helpers, so a problem looks the same whatever the layer:
`clickhouse-byoc:<key>: <value>: <problem>; <fix>`, one line, secrets never echoed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi

from components import naming

NS = naming.PROJECT

# Offline synth cannot decrypt `secure:` values; it substitutes a stand-in that starts with this
# (a valid shape, clearly fake): `secret_placeholder`.
SECRET_PLACEHOLDER = "offline-synth-placeholder"


def secret_placeholder(key: str, ciphertext: str) -> str:
    """The offline stand-in for the encrypted value at `key` (`namespace:key.path[i]`): the key and
    a digest of its ciphertext, never the plaintext (offline tools cannot decrypt it). A new
    ciphertext (a rotated secret) gives a new stand-in, so exactly the inputs that consume it
    change; the same file always gives the same stand-in."""
    digest = hashlib.sha256(ciphertext.encode()).hexdigest()[:10]
    slug = re.sub(r"[^\w.-]+", "-", key.split(":", 1)[-1], flags=re.ASCII).strip("-")
    return f"{SECRET_PLACEHOLDER}-{slug}-{digest}"


def is_placeholder(value: Any) -> bool:
    """The offline synth's stand-in for a value it cannot decrypt: validators that check a secret's
    shape (a URL, a key prefix) cannot judge it, and let it pass."""
    return isinstance(value, str) and value.startswith(SECRET_PLACEHOLDER)


class ConfigError(pulumi.RunError):
    """Invalid configuration. `problems` holds one line per problem; raised before any resource."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(f"{count} configuration problem{'s' if count != 1 else ''}:\n" + "\n".join(self.problems))


class Problems:
    """Collects one line per problem; the values of secret keys are shown as `[secret]`."""

    def __init__(self, secret_keys: frozenset[str]):
        self.lines: list[str] = []
        self._secret = secret_keys

    def add(self, key: str, value: Any, problem: str) -> None:
        top = re.split(r"[.\[]", key)[0]
        if value is None:
            shown = "(not set)"
        elif top in self._secret:
            shown = "[secret]"
        elif isinstance(value, str):
            shown = value
        else:
            shown = json.dumps(value)
        full = key if ":" in top else f"{NS}:{key}"
        self.lines.append(f"{one_line(full)}: {one_line(shown)}: {problem}")


def one_line(text: str) -> str:
    """Keys and values as typed, but a newline or other control character shown escaped, so every
    problem stays on one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def decode_value(raw: str | None) -> Any:
    """Pulumi hands objects and lists over as JSON text and everything else as plain text
    (config values, and providers' structured inputs)."""
    if raw is None:
        return None
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


# Go's time.Time.String(): what the Pulumi CLI hands the program for a timestamp written unquoted
# in a stack file (yaml.v3 reads it as a time; pulumi/pulumi sdk/go/common/resource/config/object.go
# unmarshalObject keeps `v.String()`): `2026-12-11 18:00:00 +0000 UTC`.
GO_TIME_RE = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?"
    r" ([+-][0-9]{2})([0-9]{2}) [A-Za-z0-9+-]+\Z",
    re.ASCII,
)


def iso_instant_text(value: str) -> str:
    """A timestamp as the user wrote it in ISO 8601: Go's time.Time.String() form (an unquoted
    timestamp, as the CLI passes it) back to `2026-12-11T18:00:00+00:00`; anything else unchanged."""
    m = GO_TIME_RE.match(value)
    if not m:
        return value
    fraction = f".{m[3][:6]}" if m[3] else ""
    return f"{m[1]}T{m[2]}{fraction}{m[4]}:{m[5]}"


KIND_WORDS = {bool: "true or false", str: "a string", int: "a whole number", list: "a list"}


def kind_words(kind: type) -> str:
    return KIND_WORDS.get(kind, kind.__name__)


def coerce(value: Any, kind: type) -> tuple[bool, Any]:
    """(ok, value): `pulumi config set --path` stores true/false/integers typed, YAML may quote them."""
    if kind is bool:
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return True, value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip(), re.ASCII):
            return True, int(value)
        return False, value
    if kind is str:
        return (True, value) if isinstance(value, str) else (False, value)
    return (True, value) if isinstance(value, kind) else (False, value)


def read_object(
    raw: Mapping[str, str], key: str, fields: Mapping[str, type], defaults: Mapping[str, Any], p: Problems
) -> dict[str, Any]:
    """A map-valued key: field defaults applied; non-maps, unknown fields and wrong types reported."""
    out: dict[str, Any] = dict(defaults)
    text = raw.get(f"{NS}:{key}")
    value = {} if text is None else decode_value(text)
    if not isinstance(value, dict):
        example = next(iter(fields))
        p.add(key, value, f"not a map; set its fields, e.g. `pulumi config set --path {key}.{example} ...`")
        return out
    return read_fields(value, key, fields, out, p)


def read_fields(
    value: Mapping[str, Any], key: str, fields: Mapping[str, type], out: dict[str, Any], p: Problems
) -> dict[str, Any]:
    """The fields of map `value` (at `key`) coerced into `out`; unknown fields and wrong types
    reported, with a "did you mean" hint."""
    for name, item in value.items():
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f"did you mean {close[0]}?" if close else f"use {', '.join(fields)}"
            p.add(f"{key}.{name}", item, f"unknown field; {hint}")
            continue
        ok, coerced = coerce(item, fields[name])
        if ok:
            out[name] = coerced
        else:
            p.add(f"{key}.{name}", item, f"not {kind_words(fields[name])}; set it as one")
    return out


def read_list(raw: Mapping[str, str], key: str, default: list[Any]) -> Any:
    """A list-valued key, decoded (not yet checked to be a list)."""
    text = raw.get(f"{NS}:{key}")
    return default if text is None else decode_value(text)


def read_bool(raw: Mapping[str, str], key: str, default: bool, p: Problems) -> bool:
    text = raw.get(f"{NS}:{key}")
    if text is None:
        return default
    ok, value = coerce(text, bool)
    if not ok:
        p.add(key, text, "not true or false; set `pulumi config set " + key + " true` or false")
        return default
    return value


def claim_name(name: str, index: int, key: str, seen: dict[str, int], p: Problems) -> None:
    """Names of list items (peerings, services) are unique: the first holder keeps it."""
    if name in seen:
        what = key.rstrip("s")
        p.add(f"{key}[{index}].name", name, f"duplicate of {key}[{seen[name]}]; give each {what} its own name")
    else:
        seen[name] = index


def unknown_keys(raw: Mapping[str, str], known: Iterable[str], p: Problems) -> None:
    """Every key of the project namespace that no layer reads: a typo, or a key of another version."""
    known = sorted(known)
    for key in sorted(raw):
        if not key.startswith(f"{NS}:"):
            continue
        short = key[len(NS) + 1 :]
        if short not in known:
            close = difflib.get_close_matches(short, known, n=1)
            hint = f"did you mean {close[0]}?" if close else "see the configuration table in docs/configuration.md"
            p.add(short, raw[key], f"unknown key; {hint} (remove it with `pulumi config rm {short}`)")

"""Secret inputs in the change plan: compared by digest, never shown.

The synth records a secret input as `[secret]` and, per input path (`a.b[0].c`), a short digest of
its value in the record's `secretDigests` (tools/mocks.py). Offline a secret value is the synth's
stand-in for a `secure:` config value, derived from the key and its ciphertext
(`components.settings.secret_placeholder`): a rotated secret is a new ciphertext, so exactly the
inputs that consume it get a new digest. Where both sides of a pair carry a digest for a path, the
plan compares the digests; a change is shown as `[secret changed]`. Records written before the
digests existed compare `[secret]` with `[secret]`, as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SECRET = "[secret]"  # how the synth records a secret input (tools/mocks.py)
CHANGED = "[secret changed]"


@dataclass(frozen=True)
class Secret:
    """A secret input as the plan compares it: by its digest only."""

    digest: str


def digests(record: Mapping[str, Any]) -> dict[str, str]:
    """The record's digests of its secret inputs, by input path."""
    return dict(record.get("secretDigests") or {})


def _view(value: Any, known: Mapping[str, str], path: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _view(v, known, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_view(v, known, f"{path}[{i}]") for i, v in enumerate(value)]
    if value == SECRET and path in known:
        return Secret(known[path])
    return value


def comparable(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[Any, Any]:
    """Both records' inputs, each secret input that both sides digested replaced by its digest."""
    before, after = digests(old), digests(new)
    common = set(before) & set(after)
    return (
        _view(old.get("inputs") or {}, {p: before[p] for p in common}),
        _view(new.get("inputs") or {}, {p: after[p] for p in common}),
    )


def is_secret(value: Any) -> bool:
    return isinstance(value, Secret) or value == SECRET


def plain(value: Any) -> Any:
    """A value for display: every secret as `[secret]`, never its digest."""
    if isinstance(value, Secret):
        return SECRET
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def dotted(path: str) -> str:
    """A digest path as the plan's diff spells input paths (list indices dropped)."""
    return re.sub(r"\[\d+\]", "", path, flags=re.ASCII)


def digested_on_both(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> set[str]:
    """Input paths (as the diff spells them) whose secret both records digested: the diff already
    knows whether they changed."""
    if old is None:
        return set()
    return {dotted(p) for p in set(digests(old)) & set(digests(new))}


def short(value: Any) -> str:
    """A value in one short line (as the plan prints it), secrets as `[secret]`."""
    text = value if isinstance(value, str) else json.dumps(plain(value), sort_keys=True)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."

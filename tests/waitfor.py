"""`pulumi.com/waitFor` and `pulumi.com/timeoutSeconds` read as pulumi-kubernetes reads them, and
the paths they name checked against a CRD's schema.

The rules (recorded in `tests/upstream/awaits/pulumi-kubernetes.json`, which the tests replay):
one expression or a JSON array of them; `jsonpath={...}[=value]` parsed strictly, like
`kubectl get -o jsonpath`; `condition=Type[=Status]` with status `True` by default. Paths here are
the RFC 9535 subset this program uses (`.name`, `[n]`, `[*]`): a filter is refused rather than
guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

JSONPATH, CONDITION = "jsonpath=", "condition="
_BRACKETS = re.compile(r"\{\s*(.*?)\s*\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class WaitForError(ValueError):
    """The provider would refuse this annotation."""


@dataclass(frozen=True)
class JsonPath:
    path: str
    """As written, braces included (what the provider prints)."""
    value: str
    """"" when any value will do."""
    segments: tuple[str | int, ...]
    """Member names, indices, and `*`."""


@dataclass(frozen=True)
class Condition:
    type: str
    status: str


def expressions(annotation: str) -> list[str]:
    """The expressions of a `pulumi.com/waitFor` value: a JSON array of strings, or one string."""
    try:
        values = json.loads(annotation)
    except ValueError:
        values = None
    if not isinstance(values, list):
        values = [annotation]
    if not values:
        raise WaitForError("at least one condition must be specified")
    for value in values:
        if not value.startswith((JSONPATH, CONDITION)):
            raise WaitForError(f'expected a "jsonpath=" or "condition=" prefix, got {value!r}')
    return values


def _segments(path: str) -> tuple[str | int, ...]:
    """`$.a.b[0][*]` as ("a", "b", 0, "*")."""
    out: list[str | int] = []
    i = 1
    while i < len(path):
        if path[i] == ".":
            m = _NAME.match(path, i + 1)
            if m is None:
                raise WaitForError(f"unexpected {path[i + 1 : i + 2]!r} at position {i + 2}")
            out.append(m.group())
            i = m.end()
        elif path[i] == "[":
            end = path.find("]", i)
            inner = path[i + 1 : end] if end > 0 else ""
            if inner == "":
                raise WaitForError(f"unexpected ']' at position {i + 2}")
            if inner == "*":
                out.append("*")
            elif inner.isdigit():
                out.append(int(inner))
            else:
                raise WaitForError(f"{inner!r}: not in the subset this check reads (names, indices, *)")
            i = end + 1
        else:
            raise WaitForError(f"unexpected {path[i]!r} at position {i + 1}")
    return tuple(out)


def parse_jsonpath(expr: str) -> JsonPath:
    """pulumi-kubernetes `jsonpath.Parse`: braces, at most one `=` (`==` kept), no shell quotes."""
    if expr == "":
        raise WaitForError("expected a non-empty JSONPath expression")
    if not expr.startswith(JSONPATH):
        raise WaitForError("JSONPath expression must begin with a 'jsonpath=' prefix")
    raw = expr.removeprefix(JSONPATH)
    placeholder = "\ufffd"
    parts = raw.replace("==", placeholder).split("=")
    if len(parts) > 2:
        raise WaitForError(f"format should be {{.path}}=value or {{.path}}, got {raw!r}")
    path = parts[0].replace(placeholder, "==")
    value = parts[1].replace(placeholder, "==") if len(parts) == 2 else ""
    if len(parts) == 2 and value == "":
        raise WaitForError(f"{path}= requires a value")
    if path.startswith("'") and path.endswith("'"):
        raise WaitForError(f"{path} should omit shell quotes")
    m = _BRACKETS.search(path)
    if m is None:
        raise WaitForError(f"{path} should be wrapped in brackets {{ ... }}")
    inner = m.group(1)
    return JsonPath(path, value, _segments(inner if inner.startswith("$") else "$" + inner))


def parse_condition(expr: str) -> Condition:
    """`condition=Type` or `condition=Type=Status` (kubectl wait's syntax)."""
    body = expr.removeprefix(CONDITION)
    kind, _, status = body.partition("=")
    return Condition(kind, status or "True")


def timeout_seconds(annotation: str | None, custom_timeout: float = 0) -> int | None:
    """pulumi-kubernetes `TimeoutDuration`: a `customTimeouts` option first, then the annotation
    read as a Go `strconv.Atoi` integer; None: neither (the 10-minute default applies)."""
    if custom_timeout:
        return int(custom_timeout)
    if annotation is None or not re.fullmatch(r"[+-]?[0-9]+", annotation):
        return None
    return int(annotation)


# -- evaluation over an object ---------------------------------------------------------------------


def select(node: Any, segments: tuple[str | int, ...]) -> list[Any]:
    """Every value the path selects, in order."""
    found = [node]
    for seg in segments:
        nxt = []
        for value in found:
            if seg == "*":
                nxt += (
                    list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, list) else []
                )
            elif isinstance(seg, int):
                if isinstance(value, list) and -len(value) <= seg < len(value):
                    nxt.append(value[seg])
            elif isinstance(value, dict) and seg in value:
                nxt.append(value[seg])
        found = nxt
    return found


def _go_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "<nil>" if value is None else str(value)


def satisfied(obj: dict[str, Any], expr: str) -> bool:
    """Whether the provider would consider one expression met by `obj` (its last observed state)."""
    if expr.startswith(CONDITION):
        cond = parse_condition(expr)
        generation = (obj.get("metadata") or {}).get("generation")
        status = obj.get("status") or {}
        for c in status.get("conditions") or []:
            if str(c.get("type", "")).lower() != cond.type.lower() or "status" not in c:
                continue
            observed = c.get("observedGeneration", status.get("observedGeneration"))
            if generation is not None and observed is not None and observed < generation:
                return False
            return str(c["status"]).lower() == cond.status.lower()
        return False
    jp = parse_jsonpath(expr)
    generation = (obj.get("metadata") or {}).get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    if generation is not None and observed is not None and observed < generation:
        return False
    results = select(obj, jp.segments)
    if not results:
        return False
    if isinstance(results[0], dict | list):
        if jp.value:
            raise WaitForError(f"{jp.path!r} has a non-primitive value")
        return True
    return jp.value == "" or jp.value == _go_string(results[0])


def all_satisfied(obj: dict[str, Any], annotation: str) -> bool:
    return all(satisfied(obj, e) for e in expressions(annotation))


# -- the CRD schema --------------------------------------------------------------------------------


def schema_at(
    schema: dict[str, Any], segments: tuple[str | int, ...], opaque: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The schema of the field a path names; an AssertionError says where the path leaves the CRD.

    `opaque` maps a walked path (`$.status.normalizedCompleted`) the CRD leaves open
    (`x-kubernetes-preserve-unknown-fields` without properties) to the schema of what the operator
    keeps there, to walk on into it."""
    opaque = opaque or {}
    node, walked = schema, "$"
    for i, seg in enumerate(segments):
        if isinstance(seg, int) or seg == "*":
            assert node.get("type") == "array" and "items" in node, f"{walked} is not an array in the CRD"
            node, walked = node["items"], f"{walked}[{seg}]"
        else:
            props = node.get("properties") or {}
            assert seg in props, f"{walked}.{seg}: not a field of the CRD (fields: {sorted(props)})"
            node, walked = props[seg], f"{walked}.{seg}"
        if node.get("x-kubernetes-preserve-unknown-fields") and not node.get("properties"):
            if i == len(segments) - 1:
                break
            assert walked in opaque, f"{walked}: the CRD leaves it open, nothing to check the rest of the path against"
            node = opaque[walked]
    return node

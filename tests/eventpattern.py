"""EventBridge event pattern matching, as the EventBridge user guide documents it ("Amazon EventBridge
event patterns", "Arrays in ... event patterns", "Content filtering ...", "Matching null values and
empty strings"; vendored examples in tests/upstream/eventbridge/), and the envelope CloudTrail's API
events arrive in ("AWS API Call via CloudTrail").

- A pattern field is a list of values; the event matches when any of them matches the event's value;
  an event value that is a list matches when any of its elements does.
- Every field named in the pattern must be in the event with the same nesting, except a leaf
  `{"exists": false}`; fields the pattern does not name are ignored.
- Values are JSON: strings match character by character, numbers by their JSON text, `null` only
  `null` (not `""`).
- Operators: `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or a
  `prefix`), `exists`, `numeric` (`=`, `<`, `<=`, `>`, `>=` pairs); `$or` takes a list of patterns
  of which one must match.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping
from typing import Any

_MISSING = object()
_NUMERIC = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(rule: Any, value: Any) -> bool:
    if _number(rule) or _number(value):
        # "For numbers, EventBridge uses string representation" (300, 300.0 and 3.0e2 differ).
        return _number(rule) and _number(value) and json.dumps(rule) == json.dumps(value)
    return type(rule) is type(value) and rule == value


def _operator(rule: Mapping[str, Any], value: Any) -> bool:
    (name, arg), *rest = rule.items()
    assert not rest, f"one operator per matcher: {rule}"
    if name == "exists":
        return (value is not _MISSING) == bool(arg)
    if value is _MISSING:
        return False
    if name == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if name == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == arg.lower()
    if name == "anything-but":
        if isinstance(arg, Mapping):
            return not _operator(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_equal(x, value) for x in excluded)
    if name == "numeric":
        if not _number(value):
            return False
        pairs = zip(arg[::2], arg[1::2], strict=True)
        return all(_NUMERIC[op](value, bound) for op, bound in pairs)
    raise AssertionError(f"operator {name!r} is not implemented here")


def _value_matches(rules: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, Mapping):
            if "exists" in rule:
                if _operator(rule, value):
                    return True
                continue
            if any(_operator(rule, v) for v in values):
                return True
        elif value is not _MISSING and any(_equal(rule, v) for v in values):
            return True
    return False


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether `event` matches `pattern`."""
    for key, rule in pattern.items():
        if key == "$or":
            if not any(matches(branch, event) for branch in rule):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if value is _MISSING or not matches(rule, value):
                return False
        elif isinstance(rule, list):
            if not _value_matches(rule, value):
                return False
        else:
            raise AssertionError(f"a pattern's leaves are lists: {key}: {rule!r}")
    return True


def cloudtrail_event(record: Mapping[str, Any], account: str, event_id: str = "0") -> dict[str, Any]:
    """A CloudTrail record as EventBridge delivers it to `account`'s default bus: the top-level fields
    of every event ("Amazon EventBridge events"), `detail-type` "AWS API Call via CloudTrail", `source`
    the service prefix of the record's `eventSource`, the Region where it was recorded, no resource
    ARNs ("API calls with AWS CloudTrail do not include resource ARNs"), the record as `detail`."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + record["eventSource"].split(".")[0],
        "account": account,
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": dict(record),
    }


def resolve(path: str, event: Mapping[str, Any]) -> Any:
    """An input transformer's `$.a.b` path in an event (None when a step is missing)."""
    node: Any = event
    for step in path.removeprefix("$.").split("."):
        if not isinstance(node, Mapping) or step not in node:
            return None
        node = node[step]
    return node


def render(template: str, paths: Mapping[str, str], event: Mapping[str, Any]) -> str:
    """An input transformer's output ("Amazon EventBridge input transformation"): a placeholder inside a
    JSON string is replaced by the value's text, one outside a string by the value as JSON."""
    out, i, in_string = [], 0, False
    while i < len(template):
        c = template[i]
        if c == "\\" and in_string:
            out.append(template[i : i + 2])
            i += 2
            continue
        if c == '"':
            in_string = not in_string
        if c == "<":
            end = template.find(">", i)
            name = template[i + 1 : end]
            if end > i and name in paths:
                value = resolve(paths[name], event)
                out.append(json.dumps(str(value))[1:-1] if in_string else json.dumps(value))
                i = end + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)

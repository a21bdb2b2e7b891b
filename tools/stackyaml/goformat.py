"""Go's number and JSON formatting: strconv.FormatFloat 'g' (what yaml.v3's encoder and fmt's %v
write) and encoding/json's json.Marshal of the values Pulumi builds."""

from __future__ import annotations

import decimal
import math
import re
from typing import Any

from tools.stackyaml.scalars import YamlTypeError


def _shortest_digits(value: float) -> tuple[str, int]:
    """(digits, decimal point position) of the shortest decimal that reads back as `value`
    (what both Python's repr and Go's strconv with precision -1 produce)."""
    _, digits, exponent = decimal.Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return text, len(digits) + int(exponent)


def _format_e(value: float) -> str:
    digits, point = _shortest_digits(value)
    exponent = point - 1 if digits != "0" else 0
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if value < 0 or (value == 0 and math.copysign(1, value) < 0) else ""
    return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _format_f(value: float) -> str:
    digits, point = _shortest_digits(value)
    sign = "-" if value < 0 or (value == 0 and math.copysign(1, value) < 0) else ""
    if digits == "0":
        return sign + "0"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_format_g(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 64): what fmt's %v and yaml.v3's encoder write."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    digits, point = _shortest_digits(value)
    exponent = point - 1
    if digits != "0" and (exponent < -4 or exponent >= 6):
        return _format_e(value)
    return _format_f(value)


def go_json_float(value: float) -> str:
    """encoding/json's float64 encoder: 'f' format, 'e' below 1e-6 or from 1e21 (e-07 as e-7)."""
    if math.isnan(value) or math.isinf(value):
        raise YamlTypeError(f"json: unsupported value: {go_format_g(value)}")
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        text = _format_e(value)
        return re.sub(r"e-0([0-9])\Z", r"e-\1", text)
    return _format_f(value)


# Go 1.22 and later also write \b and \f short (the CLI is built with Go 1.25).
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def json_string(text: str) -> str:
    """encoding/json's string encoder with HTML escaping (json.Marshal's default)."""
    out = ['"']
    for c in text:
        if c in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[c])
        elif c < " " or c in "<>&\u2028\u2029":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def go_json(value: Any) -> str:
    """json.Marshal of the Go values Pulumi builds (maps sorted by key, no spaces)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_string(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    raise YamlTypeError(f"json: unsupported type {type(value).__name__}")

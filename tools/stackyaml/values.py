"""Pulumi's second pass and config values: the encode-and-decode-again round trip of a stack file
(loaders.go), and the string each config value hands the program (object.go, plaintext.go)."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from tools.stackyaml.decoder import GeneralMap, go_key
from tools.stackyaml.goformat import go_format_g, go_json, json_string
from tools.stackyaml.scalars import GoTime, YamlTypeError, resolve


def second_pass(value: Any) -> Any:
    """What the encode-and-decode-again round trip (loaders.go) changes: floats written by
    FormatFloat 'g' read back (an integral one under 1e6 as an int), timestamps written as
    RFC 3339 read back, a `<<` key (written plain) read as a merge."""
    if isinstance(value, str):
        return _literal_round_trip(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return value
        return resolve("", go_format_g(value))[1]
    if isinstance(value, GoTime):
        return resolve("", value.rfc3339nano())[1]
    if isinstance(value, list):
        return [second_pass(v) for v in value]
    pairs = list(value) if isinstance(value, GeneralMap) else list(value.items())
    out = {go_key(k): (k, second_pass(v)) for k, v in ((second_pass(k), v) for k, v in pairs) if k != "<<"}
    merges = [v for k, v in pairs if k == "<<"]
    if merges:
        merge = second_pass(merges[0])
        sources = [merge] if isinstance(merge, dict | GeneralMap) else merge if isinstance(merge, list) else None
        if sources is None or not all(isinstance(s, dict | GeneralMap) for s in sources):
            raise YamlTypeError("map merge requires map or sequence of maps as the value")
        for source in sources:
            for k, v in source.items() if isinstance(source, dict) else source:
                out.setdefault(go_key(k), (k, v))
    if all(isinstance(k, str) for k, _ in out.values()):
        return {k: v for k, v in out.values()}
    return GeneralMap(out.values())


def _printable(c: str) -> bool:
    """yamlprivateh.go is_printable (a tab is let through separately)."""
    return c in "\n\t" or " " <= c <= "~" or "\xa0" <= c <= "\ud7ff" or ("\ue000" <= c <= "\ufffd" and c != "\ufeff")


def _literal_round_trip(text: str) -> str:
    """yaml.v3's encoder writes a string with a line feed as a literal block (encode.go stringv)
    when the emitter allows one (emitterc.go yaml_emitter_analyze_scalar: no trailing space, no
    space before a break, only printable characters or tabs). Its literal writer drops a leading
    line break (`"\\nx"` reads back as `"x"`), and a leading tab makes the block unreadable
    ("found a tab character where an indentation space is expected")."""
    if "\n" not in text or text.endswith(" ") or not all(_printable(c) for c in text):
        return text
    if re.search("[ ][\n\u2028\u2029]", text):
        return text
    if text[0] in "\n\u2028\u2029":
        return text[1:]
    if text[0] == "\t":
        raise YamlTypeError(
            "found a tab character where an indentation space is expected (the Pulumi CLI writes text "
            "that starts with a tab and has a line break as a YAML block it cannot read back)"
        )
    return text


def _go_key_text(key: Any) -> str:
    """fmt.Sprintf("%v", key) for a map key (object.go unmarshalObject of map[interface{}]interface{})."""
    if key is None:
        return "<nil>"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return go_format_g(key)
    if isinstance(key, GoTime):
        return key.string()
    return str(key)


def unmarshal_object(value: Any) -> Any:
    """object.go unmarshalObject: the value Pulumi keeps (timestamps as their String() text,
    every map key as text); a {secure: <text>} map stays as it is (a secret)."""
    if isinstance(value, GoTime):
        return value.string()
    if isinstance(value, list):
        return [unmarshal_object(v) for v in value]
    if isinstance(value, GeneralMap):
        out: dict[str, Any] = {}
        for k, v in value:
            text = _go_key_text(k)
            if text in out:
                raise YamlTypeError(f"two keys read as {text!r}")
            out[text] = v
        value = out
    if isinstance(value, dict):
        if _is_secure(value):
            return dict(value)
        return {k: unmarshal_object(v) for k, v in value.items()}
    return value


def _is_secure(value: Any) -> bool:
    """object.go isSecureValue: a map whose only key is `secure`, with a string."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


@dataclasses.dataclass(frozen=True)
class ConfigValue:
    """One config value as the CLI holds it (config.Value) and hands it to the program."""

    text: str
    """What the program receives (secrets: the ciphertext, decrypted only by the CLI)."""
    object: bool
    """A map or list, `text` being its JSON."""
    secure: bool
    """Encrypted (`secure:`), at the top or somewhere inside."""
    content: Any
    """What the CLI checks against a declared type: `text` for a scalar, the decoded object
    (`{"secure": ...}` where encrypted) for a map or list, `{"secure": ...}` for a top-level secret."""


def _contains_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def config_value(value: Any) -> ConfigValue:
    """config.Value.UnmarshalYAML + MarshalString for one top-level value (after the second pass)."""
    obj = unmarshal_object(value)
    if _is_secure(obj):
        return ConfigValue(obj["secure"], object=False, secure=True, content=dict(obj))
    if obj is None:
        # decode.go prepare: a null node never reaches the unmarshaler; the zero Value is "".
        return ConfigValue("", object=False, secure=False, content="")
    if isinstance(obj, str):
        return ConfigValue(obj, object=False, secure=False, content=obj)
    if isinstance(obj, dict | list):
        return ConfigValue(go_json(obj), object=True, secure=_contains_secure(obj), content=obj)
    text = go_json(obj)
    return ConfigValue(text, object=False, secure=False, content=text)


def default_value(value: Any) -> ConfigValue:
    """pkg/workspace/config.go createConfigValue: a project default (string, int and bool as
    fmt's %v, anything else as JSON)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
        return ConfigValue(text, object=False, secure=False, content=text)
    if isinstance(value, str | int):
        return ConfigValue(str(value), object=False, secure=False, content=str(value))
    if isinstance(value, GoTime):
        text = json_string(value.rfc3339nano())
        return ConfigValue(text, object=True, secure=False, content=value.rfc3339nano())
    obj = unmarshal_object(value)
    return ConfigValue(go_json(obj), object=True, secure=_contains_secure(obj), content=obj)

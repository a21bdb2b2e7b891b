"""yaml.v3 decode.go: the node tree into Go values, decoding into interface{} (maps, merges,
duplicate keys, aliases and the limits on their expansion, !!binary)."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from tools.stackyaml.nodes import ALIAS, MAPPING, SCALAR, SEQUENCE, Node, compose
from tools.stackyaml.scalars import BINARY, MERGE, STR, YamlTypeError, resolve


class GeneralMap(tuple):
    """A map with a key that is not a string (yaml.v3's map[interface{}]interface{}): (key, value) pairs."""


_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000
# yaml.v3 lets alias expansion run to millions of values before it calls it excessive; the offline
# tools stop at this many decoded values once aliases are involved (no stack file comes close).
MAX_ALIASED_VALUES = 100_000


def _allowed_alias_ratio(count: int) -> float:
    """decode.go allowedAliasRatio."""
    if count <= _ALIAS_RATIO_LOW:
        return 0.99
    if count >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * ((count - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW))


def go_key(value: Any) -> Any:
    """A hashable identity for a Go map key (Python would merge 1, 1.0 and True)."""
    return (type(value).__name__, value if not isinstance(value, float) or not math.isnan(value) else "NaN")


class Decoder:
    """decode.go decoder, decoding into interface{}: the Go value of each node."""

    def __init__(self) -> None:
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0
        self.active_aliases: set[int] = set()
        self.errors: list[str] = []
        """Type errors yaml.v3 collects and reports together (duplicate keys)."""

    def unmarshal(self, node: Node) -> Any:
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
        ratio = self.alias_count / self.decode_count
        if self.alias_count > 100 and (
            self.decode_count > MAX_ALIASED_VALUES
            or (self.decode_count > 1000 and ratio > _allowed_alias_ratio(self.decode_count))
        ):
            raise YamlTypeError("document contains excessive aliasing")
        if node.kind == ALIAS:
            return self.alias(node)
        if node.kind == SCALAR:
            return self.scalar(node)
        if node.kind == SEQUENCE:
            return [self.unmarshal(child) for child in node.content]
        return self.mapping(node)

    def alias(self, node: Node) -> Any:
        if id(node) in self.active_aliases or node.alias is None:
            raise YamlTypeError(f"anchor '{node.value}' value contains itself")
        self.active_aliases.add(id(node))
        self.alias_depth += 1
        try:
            return self.unmarshal(node.alias)
        finally:
            self.alias_depth -= 1
            self.active_aliases.discard(id(node))

    def scalar(self, node: Node) -> Any:
        if node.indicated_string():
            return node.value
        try:
            tag, value = resolve(node.tag, node.value)
        except YamlTypeError as exc:
            raise YamlTypeError(f"line {node.line}: {exc}") from None
        if tag == BINARY:
            try:
                raw = base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
            except (binascii.Error, ValueError):
                raise YamlTypeError("!!binary value contains invalid base64 data") from None
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise YamlTypeError(f"line {node.line}: !!binary data that is not UTF-8 text") from None
        return value

    def duplicates(self, node: Node) -> bool:
        """decode.go mapping's uniqueKeys check: two keys of the same kind and text."""
        keys = node.content[0::2]
        found = False
        for i, first in enumerate(keys):
            for later in keys[i + 1 :]:
                if first.kind == later.kind and first.value == later.value:
                    message = f"line {later.line}: mapping key {first.value!r} already defined at line {first.line}"
                    if message not in self.errors:
                        self.errors.append(message)
                    found = True
        return found

    def mapping(self, node: Node) -> dict[str, Any] | GeneralMap:
        keys = node.content[0::2]
        if self.duplicates(node):
            return {}
        string_map = all(k.short_tag() in (STR, MERGE) for k in keys)
        pairs: dict[Any, tuple[Any, Any]] = {}
        self._fill(node, pairs, None, string_map)
        if string_map:
            return {k: v for k, v in pairs.values()}
        return GeneralMap(pairs.values())

    def _key_text(self, node: Node) -> str:
        """A key decoded into a map[string]interface{}'s string key: the scalar's text as written
        (decode.go scalar, reflect.String), or a !!binary key's decoded text."""
        self.decode_count += 1
        target = node.alias if node.kind == ALIAS else node
        if target is None or target.kind != SCALAR:
            what = "list" if target and target.kind == SEQUENCE else "map"
            raise YamlTypeError(f"line {node.line}: invalid map key: a {what}")
        if not target.indicated_string() and resolve(target.tag, target.value)[0] == BINARY:
            return self.scalar(target)
        return target.value

    def _fill(self, node: Node, pairs: dict[Any, tuple[Any, Any]], merged: set[Any] | None, string_keys: bool) -> None:
        """decode.go mapping + merge: a node's own keys, then `<<` merges that never override.
        Into a map of string keys (all of the map's own keys text), every key is its text."""
        merge_node = None
        for key_node, value_node in zip(node.content[0::2], node.content[1::2], strict=True):
            if _is_merge(key_node):
                merge_node = value_node
                continue
            key = self._key_text(key_node) if string_keys else self.unmarshal(key_node)
            if isinstance(key, dict | list | GeneralMap):
                what = "list" if isinstance(key, list) else "map"
                raise YamlTypeError(f"line {key_node.line}: invalid map key: a {what}")
            identity = go_key(key)
            if merged is not None:
                if identity in merged:
                    continue
                merged.add(identity)
            pairs[identity] = (key, self.unmarshal(value_node))
        if merge_node is not None:
            self._merge(merge_node, pairs, merged, string_keys)

    def _merge(
        self, merge: Node, pairs: dict[Any, tuple[Any, Any]], merged: set[Any] | None, string_keys: bool
    ) -> None:
        if merged is None:
            merged = set(pairs)
        target = merge.alias if merge.kind == ALIAS else merge
        if merge.kind == SCALAR or (merge.kind == ALIAS and (target is None or target.kind != MAPPING)):
            raise YamlTypeError(f"line {merge.line}: map merge requires map or sequence of maps as the value")
        sources = list(merge.content) if merge.kind == SEQUENCE else [merge]
        for source in sources:
            mapping = source.alias if source.kind == ALIAS else source
            if mapping is None or mapping.kind != MAPPING:
                raise YamlTypeError(f"line {source.line}: map merge requires map or sequence of maps as the value")
            self.decode_count += 1
            if self.duplicates(mapping):
                continue
            if source.kind == ALIAS:
                self.alias_depth += 1
            try:
                self._fill(mapping, pairs, merged, string_keys)
            finally:
                if source.kind == ALIAS:
                    self.alias_depth -= 1


def _is_merge(node: Node) -> bool:
    """decode.go isMerge."""
    return node.kind == SCALAR and node.value == "<<" and node.tag in ("", "!", MERGE)


def decode(data: bytes) -> Any:
    """yaml.v3 Unmarshal of the first document into interface{}: the Go values, as Python values
    (str, bool, int, float, None, GoTime, list, dict with string keys, GeneralMap)."""
    root = compose(data)
    if root is None:
        return None
    decoder = Decoder()
    value = decoder.unmarshal(root)
    if decoder.errors:
        raise YamlTypeError(*decoder.errors)
    return value

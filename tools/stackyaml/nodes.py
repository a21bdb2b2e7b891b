"""libyaml's events into yaml.v3's node tree (decode.go parser), with the checks where libyaml 0.2.5
accepts what yaml.v3's older scanner refuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import yaml
from yaml import _yaml as libyaml

from tools.stackyaml.scalars import MAP, MERGE, SEQ, STR, YamlTypeError, resolve, short_tag

SCALAR, MAPPING, SEQUENCE, ALIAS = "scalar", "mapping", "sequence", "alias"
# yaml.v3 stops at 10000 levels; the decoder here is recursive and stops much earlier.
MAX_DEPTH = 200


@dataclasses.dataclass(eq=False)
class Node:
    """decode.go Node: kind, tag as the parser assigns it, scalar text and style, children."""

    kind: str
    tag: str
    value: str = ""
    quoted: bool = False
    """Single- or double-quoted, literal or folded: an "indicated string" unless tagged."""
    line: int = 0
    content: list[Node] = dataclasses.field(default_factory=list)
    alias: Node | None = None

    def indicated_string(self) -> bool:
        """yaml.go Node.indicatedString."""
        return self.kind == SCALAR and (self.tag == STR or (self.tag in ("", "!") and self.quoted))

    def short_tag(self) -> str:
        """yaml.go Node.ShortTag."""
        if self.indicated_string():
            return STR
        if self.tag in ("", "!"):
            if self.kind == MAPPING:
                return MAP
            if self.kind == SEQUENCE:
                return SEQ
            if self.kind == ALIAS and self.alias is not None:
                return self.alias.short_tag()
            if self.kind == SCALAR:
                return _resolve_tag(self.value)
            return ""
        return self.tag


def _resolve_tag(text: str) -> str:
    try:
        return resolve("", text)[0]
    except YamlTypeError:
        return STR


def _new_node(kind: str, default_tag: str, tag: str | None, value: str = "", quoted: bool = False) -> Node:
    """decode.go parser.node: an explicit tag, else the default, else (scalars) the resolved tag."""
    if tag and tag != "!":
        return Node(kind, short_tag(tag), value, quoted)
    if default_tag:
        return Node(kind, default_tag, value, quoted)
    if kind == SCALAR:
        return Node(kind, _resolve_tag(value), value, quoted)
    return Node(kind, tag or "", value, quoted)


def _events(data: bytes) -> Iterator[Any]:
    """The first document's events (yaml.v3's Unmarshal reads only the first document)."""
    parser = libyaml.CParser(data)
    try:
        while True:
            event = parser.get_event()
            yield event
            if isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, yaml.DocumentEndEvent):
                rest = source_text(data)[event.start_mark.index :]
                if any(line.strip() and not line.lstrip().startswith("#") for line in rest.splitlines()):
                    _lookahead(data, event.start_mark.index)
                return
    finally:
        parser.dispose()


def _lookahead(data: bytes, end: int) -> None:
    """yaml.v3's scanner keeps two tokens beyond the one the parser looks at (scannerc.go
    yaml_parser_fetch_more_tokens, for comments): when the first document ends, the token that
    ends it (`---`, `...` or the end) and two more are scanned, so a scanner error there fails
    the whole file."""
    scanner = libyaml.CParser(data)
    try:
        after = -1
        while after < 2:
            token = scanner.get_token()
            if token is None or (after >= 0 and isinstance(token, yaml.StreamEndToken)):
                return
            # Block ends at that point were taken by the parser before the document's end.
            if after >= 0 or (token.start_mark.index >= end and not isinstance(token, yaml.BlockEndToken)):
                after += 1
    except yaml.scanner.ScannerError:
        raise
    except yaml.YAMLError:
        return
    finally:
        scanner.dispose()


def source_text(data: bytes) -> str:
    """The stream as libyaml indexes it (marks count characters)."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    return data.decode("utf-8", "replace")


def _check_scanner_differences(event: Any, in_flow: bool, source: str) -> None:
    """Where libyaml 0.2.5 (this parser) accepts what yaml.v3's scanner (a port of an older
    libyaml) refuses, refuse it too:
    - inside [...] or {...}, yaml.v3 ends unquoted text at `?` (scannerc.go
      yaml_parser_scan_plain_scalar), and then fails on the `?`;
    - yaml.v3 knows no `\\/` escape in double quotes ("found unknown escape character")."""
    line = event.start_mark.line + 1
    if in_flow and not event.style and "?" in event.value:
        raise YamlTypeError(
            f"line {line}: unquoted text {event.value!r} with a `?` inside [...] or {{...}}: yaml.v3 ends the "
            "text at the `?` and then finds no ',' or ']'; quote the text"
        )
    if event.style == '"':
        raw = source[event.start_mark.index : event.end_mark.index]
        i = raw.find("\\")
        while i != -1:
            if raw[i + 1 : i + 2] == "/":
                raise YamlTypeError(f"line {line}: found unknown escape character `\\/` (yaml.v3 has none); write /")
            i = raw.find("\\", i + 2)


def compose(data: bytes) -> Node | None:
    """The first document's node tree (yaml.v3's Unmarshal reads only the first document); None
    for an empty stream. Raises yaml.YAMLError (with a problem mark) or YamlTypeError."""
    root: Node | None = None
    stack: list[Node] = []
    flow: list[bool] = []
    anchors: dict[str, Node] = {}
    source = source_text(data)
    for event in _events(data):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            target = anchors.get(event.anchor)
            if target is None:
                raise YamlTypeError(f"line {line}: unknown anchor '{event.anchor}' referenced")
            node = Node(ALIAS, "", event.anchor, alias=target)
        elif isinstance(event, yaml.ScalarEvent):
            _check_scanner_differences(event, any(flow), source)
            quoted = bool(event.style)
            default = STR if quoted else (MERGE if event.value == "<<" else "")
            node = _new_node(SCALAR, default, event.tag, event.value, quoted)
        elif isinstance(event, yaml.SequenceStartEvent):
            node = _new_node(SEQUENCE, SEQ, event.tag)
        elif isinstance(event, yaml.MappingStartEvent):
            node = _new_node(MAPPING, MAP, event.tag)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            stack.pop()
            flow.pop()
            continue
        else:
            continue
        node.line = line
        if getattr(event, "anchor", None) and node.kind != ALIAS:
            anchors[event.anchor] = node
        if stack:
            stack[-1].content.append(node)
        else:
            root = node
        if node.kind in (MAPPING, SEQUENCE):
            stack.append(node)
            flow.append(bool(event.flow_style))
            if len(stack) > MAX_DEPTH:
                raise YamlTypeError(f"line {line}: nested more than {MAX_DEPTH} levels deep")
    return root

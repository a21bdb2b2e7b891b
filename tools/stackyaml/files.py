"""Reading stack files and Pulumi.yaml: the first pass, Pulumi's steps after it, and one line per
problem naming the file where the CLI would refuse it (or pick a value at random)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tools.projectconfig import ProjectConfigError
from tools.stackyaml.decoder import GeneralMap, decode
from tools.stackyaml.goformat import go_json
from tools.stackyaml.nodes import source_text
from tools.stackyaml.scalars import YamlTypeError
from tools.stackyaml.values import ConfigValue, config_value, second_pass, unmarshal_object


class StackFileError(ProjectConfigError):
    """A stack or project file the Pulumi CLI would refuse (or read differently): one line per
    problem, each naming the file."""


def _problem(where: str, exc: BaseException, what: str = "stack configuration", source: str = "") -> str:
    """One line for a problem with the file's YAML, naming the file and line."""
    head = f"{where}: cannot read the {what}"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "").split())
        if mark and source[mark.index : mark.index + 1] == "\t" and "tab" not in problem:
            problem = f"{problem} (a tab)"
        if "tab" in problem:
            fix = "indent with spaces, not tabs"
        elif problem == "found unexpected ':'":
            fix = "quote the text with the `:` (YAML parsers disagree on `a:` before , ] or } inside [...] or {...})"
        else:
            fix = "fix the YAML"
        return f"{head}: {at}{problem}; {fix} (the Pulumi CLI refuses the file)"
    if isinstance(exc, yaml.reader.ReaderError):
        return (
            f"{head}: not YAML text ({' '.join(str(exc.reason).split())} at byte {exc.position}); "
            "a stack file is UTF-8 text (the Pulumi CLI refuses the file)"
        )
    text = " ".join(str(exc).split())
    if "already defined" in text:
        return f"{head}: {text}: a key written twice; keep one (the Pulumi CLI refuses the file)"
    return f"{head}: {text} (the Pulumi CLI refuses the file)"


def read_document(data: bytes, where: str, what: str = "stack configuration") -> Any:
    """The first pass: yaml.v3's decoding of the file (UTF-8 BOM stripped as the CLI does)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return decode(data)
    except YamlTypeError as exc:
        raise StackFileError([_problem(where, YamlTypeError(m), what) for m in exc.messages]) from None
    except yaml.YAMLError as exc:
        raise StackFileError([_problem(where, exc, what, source_text(data))]) from None


def _where(path: Path | str) -> str:
    return str(path)


def read_project(path: Path) -> dict[str, Any]:
    """Pulumi.yaml as the CLI decodes it (loaders.go LoadProjectBytes: first pass, then
    SimplifyMarshalledProject and the round trip)."""
    doc = read_document(Path(path).read_bytes(), _where(path), "project file")
    if not isinstance(doc, dict):
        raise StackFileError([f"{_where(path)}: the project file must be a map, not {_kind(doc)}"])
    try:
        return second_pass(doc)
    except YamlTypeError as exc:
        raise StackFileError([_problem(_where(path), exc, "project file")]) from None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict | GeneralMap):
        return "a map with a key that is not text"
    if value is None:
        return "empty"
    return f"the scalar {value if isinstance(value, str) else go_json(unmarshal_object(value))!r}"


def parse_key(key: str) -> str | None:
    """config/key.go ParseKey: `namespace:name`, or `namespace:config:name` read as `namespace:name`."""
    parts = key.split(":")
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config":
        return f"{parts[0]}:{parts[2]}"
    return None


def read_stack(path: Path, project: str) -> dict[str, ConfigValue]:
    """A stack file's `config:` as the CLI hands it to the program: full key to value. Raises
    StackFileError, one line per problem, where the CLI would refuse the file or pick a value
    at random."""
    where = _where(path)
    doc = read_document(Path(path).read_bytes(), where)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StackFileError([f"{where}: the stack file must be a map with a `config:` map, not {_kind(doc)}"])
    config = doc.get("config")
    for field in ("secretsprovider", "encryptedkey", "encryptionsalt"):
        if isinstance(doc.get(field), dict | list | GeneralMap):
            raise StackFileError([f"{where}: `{field}:` must be text, not {_kind(doc[field])}"])
    if config is None:
        return {}
    if isinstance(config, GeneralMap):
        bad = next(k for k, _ in config if not isinstance(k, str))
        if bad is None:
            problem = "an empty (null) config key: the Pulumi CLI drops the entry silently; name the key or remove it"
        else:
            problem = (
                f"config key {go_json(unmarshal_object(bad))} is not text: the Pulumi CLI then refuses the file; "
                "write keys as `name` or `namespace:name` (quote it)"
            )
        raise StackFileError([f"{where}: {problem}"])
    if not isinstance(config, dict):
        raise StackFileError([f"{where}: `config:` must be a map of keys to values, not {_kind(config)}"])
    problems: list[str] = []
    values: dict[str, ConfigValue] = {}
    written: dict[str, str] = {}
    for key, raw in config.items():
        named = key if ":" in key else f"{project}:{key}"
        full = parse_key(named)
        if full is None:
            problems.append(
                f"{where}: config key {key!r}: not a configuration key; write `name` or `namespace:name` "
                "(the Pulumi CLI refuses the file)"
            )
            continue
        if full in written:
            problems.append(
                f"{where}: config keys {written[full]!r} and {key!r} are the same key {full}; keep one "
                "(the Pulumi CLI would use either, at random)"
            )
            continue
        written[full] = key
        try:
            values[full] = config_value(second_pass(raw))
        except YamlTypeError as exc:
            problems.append(f"{where}: {full}: {exc} (the Pulumi CLI refuses the file; quote the value if it is text)")
    if problems:
        raise StackFileError(problems)
    return values

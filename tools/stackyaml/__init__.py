"""Stack files (and Pulumi.yaml) read the way the Pulumi CLI reads them, without the CLI.

The CLI (pulumi/pulumi v3.259.0; every 3.x since v3.50.0) parses both files with Go's
gopkg.in/yaml.v3 v3.0.1, not yaml.v2 (`sdk/go/common/encoding/marshal.go` imports yaml.v3), and
reads a stack file in two passes (`sdk/go/common/workspace/loaders.go` LoadProjectStackBytes):
the text is decoded into plain Go values, keys without a namespace get the project's, the result
is encoded again (`util/yamlutil` YamlEncode) and decoded a second time into `config.Value`s
(`sdk/go/common/resource/config/object.go` unmarshalObject, MarshalString). What the program
then receives for each key is one string (`plaintext.go` marshalText):

- a top-level scalar as its text after yaml.v3 resolved it: `no`, `yes`, `on`, `22:30` stay as
  written (YAML 1.2 booleans are only true/false); `True` becomes `true`; numbers are rewritten
  (`0x1F` is `31`, `017` is `15`, `1_000` is `1000`, `012345678901` is `12345678901`, `1.0` is
  `1`); a timestamp becomes Go's `time.Time.String()` (`2026-12-11T18:00:00Z` is
  `2026-12-11 18:00:00 +0000 UTC`); null is `""`;
- a map or list as JSON, its scalars keeping the types yaml.v3 gave them (the same rules), keys
  sorted, timestamps as `time.Time.String()` text, nulls as null.

The CLI refuses a file with a duplicate key, `.inf` or `.nan` anywhere in `config` (JSON cannot
carry them), a key of the form `a:b:c`, and YAML it cannot parse. Where the CLI would keep one of
two spellings of a key at random (`accountId` and `clickhouse-byoc:accountId`), this reader
refuses the file.

YAML text is parsed by libyaml (PyYAML's C parser), from which yaml.v3 is ported; resolving,
decoding and Pulumi's steps follow the sources named on each function. Vendored reference data
and recorded CLI behaviour: tests/upstream/yaml-v3/ (SOURCES.md).

One module per step: `scalars` (yaml.v3's resolve.go: tags, Go's number syntax, timestamps),
`nodes` (libyaml's events into yaml.v3's nodes, and the scanner differences), `decoder` (the nodes
into Go values), `values` (Pulumi's second pass and the config values), `goformat` (Go's float and
JSON formatting), `files` (reading the files, one line per problem).
"""

from tools.stackyaml.decoder import Decoder, GeneralMap, decode
from tools.stackyaml.files import StackFileError, parse_key, read_document, read_project, read_stack
from tools.stackyaml.goformat import go_format_g, go_json, go_json_float
from tools.stackyaml.nodes import Node, compose
from tools.stackyaml.scalars import (
    BINARY,
    BOOL,
    FLOAT,
    INT,
    MAP,
    MERGE,
    NULL,
    SEQ,
    STR,
    TIMESTAMP,
    GoTime,
    YamlTypeError,
    parse_timestamp,
    resolve,
)
from tools.stackyaml.values import ConfigValue, config_value, default_value

__all__ = [
    "BINARY",
    "BOOL",
    "FLOAT",
    "INT",
    "MAP",
    "MERGE",
    "NULL",
    "SEQ",
    "STR",
    "TIMESTAMP",
    "ConfigValue",
    "Decoder",
    "GeneralMap",
    "GoTime",
    "Node",
    "StackFileError",
    "YamlTypeError",
    "compose",
    "config_value",
    "decode",
    "default_value",
    "go_format_g",
    "go_json",
    "go_json_float",
    "parse_key",
    "parse_timestamp",
    "read_document",
    "read_project",
    "read_stack",
    "resolve",
]

"""`--help` of the tools a new user runs: every flag explained, the exit codes, and examples that
are themselves valid command lines of the tool (parsed here with its own parser)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import re
import shlex

import pytest

from tests.conftest import ROOT

TOOLS = ("new_stack", "fleet", "plan", "cost", "preflight")


def _help(tool: str) -> tuple[argparse.ArgumentParser, str]:
    """The tool's own parser and what `--help` prints, through its `main`."""
    module = importlib.import_module(f"tools.{tool}")
    seen: list[argparse.ArgumentParser] = []
    original = argparse.ArgumentParser.print_help

    def record(self, file=None):
        seen.append(self)
        original(self, file)

    out = io.StringIO()
    argparse.ArgumentParser.print_help = record  # type: ignore[method-assign]
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
            module.main(["--help"])
    finally:
        argparse.ArgumentParser.print_help = original  # type: ignore[method-assign]
    assert done.value.code == 0
    (parser,) = seen
    return parser, out.getvalue()


def _examples(text: str, tool: str) -> list[list[str]]:
    """The `examples:` section's command lines (continuations joined, comments and leading
    environment assignments dropped), as argument lists after `-m tools.<tool>`."""
    section = text.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0]
    joined = re.sub(r"\\\n\s*", " ", section)
    commands = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words.pop(0)
        assert words[:3] == ["venv/bin/python", "-m", f"tools.{tool}"], line
        commands.append(words[3:])
    return commands


@pytest.mark.parametrize("tool", TOOLS)
def test_help_explains_every_flag_the_exit_codes_and_gives_valid_examples(tool):
    parser, text = _help(tool)
    assert parser.prog == f"venv/bin/python -m tools.{tool}"  # the usage line is copy-pasteable
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and len(action.help) > 10, (tool, action.dest)
        for option in action.option_strings:
            assert option in text, (tool, option)
        if isinstance(action, argparse._AppendAction):
            assert "repeat" in action.help, (tool, action.dest)  # the user learns it may repeat
    codes = text.split("\nexit codes:\n", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"^  (\d) ", codes, re.M)[0] == "0" and len(re.findall(r"^  \d ", codes, re.M)) >= 2
    examples = _examples(text, tool)
    assert examples
    for argv in examples:
        parser.parse_args(argv)  # exits 2 on a flag the tool does not have


def test_the_wizard_help_names_exactly_the_flags_non_interactive_requires(tmp_path):
    from tools import new_stack

    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    parser, _ = _help("new_stack")
    documented = sorted(
        a.option_strings[0] for a in parser._actions if a.help and "required with --non-interactive" in a.help
    )
    out = io.StringIO()
    assert new_stack.main(["--non-interactive"], out=out, root=tmp_path) == 2
    refused = sorted({line.split(":", 1)[0] for line in out.getvalue().splitlines()})
    assert documented == refused == ["--account", "--stack", "--zone-name"]


def test_the_fleet_help_says_stacks_takes_several():
    parser, _ = _help("fleet")
    (stacks,) = [a for a in parser._actions if "--stacks" in a.option_strings]
    assert stacks.nargs == "+" and "one or more" in stacks.help


def test_every_printed_tool_command_runs_the_projects_venv():
    # `python -m tools...` without the venv is a ModuleNotFoundError traceback for a new user: every
    # command the README, the docs, the workflows and the tools print names `venv/bin/python`.
    files = [ROOT / "README.md", ROOT / "policies" / "README.md", ROOT / "components" / "data" / "SOURCES"]
    files += sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "tools").rglob("*.py"))
    files += sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    bare = re.compile(r"(?<![\w/.-])python3? -m tools\.")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if bare.search(line)
    ]
    assert found == []
    assert bare.search("run python -m tools.plan") and not bare.search("venv/bin/python -m tools.plan")

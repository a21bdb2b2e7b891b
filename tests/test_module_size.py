"""No module of the program, its tools or its policies is over 600 lines (issue 21): past that a
module holds more than one concern (the change plan read, diffed, classified, modeled and rendered
in one file). A module that is a data table is exempt only when it is listed below with why; tests
are exempt. A long module is split by concern into a package whose `__init__` re-exports its
names, as `tools/plan/`, `tools/stackyaml/` and `tools/fleet/` are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.conftest import ROOT

MAX_LINES = 600
PACKAGES = ("components", "tools", "policies")
# Module (path from the repository root) -> why it is a data table rather than code. None today.
DATA_TABLES: dict[str, str] = {}


def line_counts(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, int]:
    """Lines of every Python module under the packages, by path from `root`."""
    return {
        str(path.relative_to(root)): len(path.read_text().splitlines())
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }


def too_long(
    counts: Mapping[str, int], exempt: Mapping[str, str] = DATA_TABLES, limit: int = MAX_LINES
) -> dict[str, int]:
    """The modules over `limit` lines that are not listed as data tables."""
    return {path: n for path, n in counts.items() if n > limit and path not in exempt}


def test_no_module_is_over_600_lines_outside_data_tables():
    counts = line_counts(ROOT)
    assert len(counts) > 100 and {"components/cluster.py", "tools/synth.py", "policies/rules/iam.py"} <= set(counts)
    assert too_long(counts) == {}


def test_each_listed_data_table_exists_and_needs_its_exemption():
    counts = line_counts(ROOT)
    assert {path: counts.get(path, 0) for path in DATA_TABLES if counts.get(path, 0) <= MAX_LINES} == {}
    assert all(why.strip() for why in DATA_TABLES.values())


def test_the_check_sees_a_long_module_in_a_subpackage_and_only_exempts_listed_tables(tmp_path):
    files = {
        "tools/deep/pkg/long.py": 601,
        "tools/at_the_limit.py": 600,
        "components/table.py": 900,
        "policies/rules/code.py": 700,
        "tests/test_long.py": 2000,
    }
    for rel, lines in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n" * lines)
    counts = line_counts(tmp_path)
    assert "tests/test_long.py" not in counts and counts["tools/deep/pkg/long.py"] == 601
    assert too_long(counts, {"components/table.py": "one row per instance type"}) == {
        "tools/deep/pkg/long.py": 601,
        "policies/rules/code.py": 700,
    }
    assert too_long(counts, {}) == {
        "tools/deep/pkg/long.py": 601,
        "components/table.py": 900,
        "policies/rules/code.py": 700,
    }

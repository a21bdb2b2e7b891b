"""The test command, tools/check.sh: it sets itself up (./venv, promtool and amtool as root with
apt-get, starting no service), says the one command where it cannot and still runs every test that
does not need them, and `--setup-only` prepares what the offline tools need without the suite.

check.sh runs for real, in a copy, with stand-ins for what it calls: `venv/bin/python` and
`venv/bin/ruff` record their arguments, `id` says who runs, `apt-get` records how it was called
(and what /usr/sbin/policy-rc.d answered at that moment) and puts promtool and amtool on the PATH.
What the stand-ins answer comes from the real tools' behaviour recorded in
tests/upstream/debian/ (Debian bookworm: init-system-helpers' deb-systemd-invoke, the packages'
file lists)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, prometheus_tool_users

DEBIAN = json.loads((ROOT / "tests" / "upstream" / "debian" / "prometheus-tools.json").read_text())
# What the stand-ins must not shadow: the real commands check.sh runs besides them.
STAND_INS = {"promtool", "amtool", "apt-get", "id", "brew", "sudo", "systemctl", "python3"}


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + textwrap.dedent(body))
    path.chmod(0o755)


@pytest.fixture
def box(tmp_path: Path):
    """A copy of check.sh and the requirements, a ready venv of stand-ins, and a PATH of the real
    commands without promtool, amtool, apt-get and id."""
    repo = tmp_path / "repo"
    (repo / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "check.sh", repo / "tools" / "check.sh")
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-checkov.txt"):
        shutil.copy(ROOT / name, repo / name)
    log = tmp_path / "calls.log"
    recorder = f"""\
        echo "$(basename "$0") $*" >> {log}
        if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
        """
    for folder, tool in (("venv", "python"), ("venv", "ruff"), ("venv-checkov", "checkov")):
        (repo / folder / "bin").mkdir(parents=True, exist_ok=True)
        _script(repo / folder / "bin" / tool, recorder)
    want = hashlib.sha256((repo / "requirements.txt").read_bytes() + (repo / "requirements-dev.txt").read_bytes())
    (repo / "venv" / ".requirements.sha256").write_text(want.hexdigest() + "\n")
    checkov = hashlib.sha256((repo / "requirements-checkov.txt").read_bytes()).hexdigest()
    (repo / "venv-checkov" / ".requirements.sha256").write_text(checkov + "\n")

    real = tmp_path / "real-bin"
    real.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        for entry in sorted(Path(folder).iterdir()) if Path(folder).is_dir() else ():
            target = real / entry.name
            if entry.name not in STAND_INS and not target.exists() and os.access(entry, os.X_OK):
                target.symlink_to(entry)
    stand_ins = tmp_path / "stand-ins"
    stand_ins.mkdir()
    _script(stand_ins / "python3", recorder)
    _script(stand_ins / "id", 'echo "${FAKE_UID:-0}"\n')
    policy = tmp_path / "policy-rc.d"
    _script(
        stand_ins / "apt-get",
        f"""\
        policy=$( [ -x {policy} ] && {{ {policy} prometheus start; echo $?; }} || echo none)
        echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND policy-rc.d=$policy" >> {log}
        if [ "$1" = install ]; then
          for tool in promtool amtool; do printf '#!/bin/sh\\n' > {stand_ins}/$tool; chmod 755 {stand_ins}/$tool; done
        fi
        """,
    )
    env = {
        "PATH": f"{stand_ins}:{real}",
        "HOME": str(tmp_path),
        "POLICY_RC_D": str(policy),
        "PYTHON": str(stand_ins / "python3"),
    }

    class Box:
        def __init__(self):
            self.repo, self.log, self.policy, self.stand_ins, self.real = repo, log, policy, stand_ins, real

        def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["bash", "tools/check.sh", *args],
                cwd=repo,
                env={**env, **extra},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )

        def calls(self) -> list[str]:
            return self.log.read_text().splitlines() if self.log.exists() else []

    return Box()


def test_the_recorded_debian_facts_are_what_check_sh_relies_on():
    assert DEBIAN["packages"] == {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}
    assert DEBIAN["policy-rc.d"]["deny"] == 101
    text = (ROOT / "tools" / "check.sh").read_text()
    assert 'PACKAGES="prometheus prometheus-alertmanager"' in text and "exit 101" in text


def test_as_root_it_installs_promtool_and_amtool_starting_no_service_then_runs_everything(box):
    done = box.run()
    assert done.returncode == 0, done.stdout + done.stderr
    calls = box.calls()
    apt = [c for c in calls if c.startswith("apt-get")]
    assert apt == [
        "apt-get update -qq DEBIAN_FRONTEND=noninteractive policy-rc.d=101",
        "apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager "
        "DEBIAN_FRONTEND=noninteractive policy-rc.d=101",
    ]
    assert not box.policy.exists()  # the policy is removed again
    assert "python -m pytest -n 2 --dist loadfile" in calls  # every test, none left out
    assert "python -m tools.synth --stack dev --out build/synth" in calls
    assert "installing promtool and amtool" in done.stdout


def test_an_existing_policy_rc_d_is_put_back(box):
    box.policy.write_text("#!/bin/sh\nexit 0\n")
    box.policy.chmod(0o755)
    assert box.run().returncode == 0
    assert box.policy.read_text() == "#!/bin/sh\nexit 0\n"
    assert all("policy-rc.d=101" in c for c in box.calls() if c.startswith("apt-get"))


@pytest.mark.parametrize(
    ("uid", "with_apt", "with_brew", "command"),
    [
        ("1000", True, False, "sudo apt-get install -y prometheus prometheus-alertmanager"),
        ("0", False, True, "brew install prometheus alertmanager"),
        ("1000", False, False, "download prometheus and alertmanager from https://prometheus.io/download/"),
    ],
)
def test_where_it_cannot_install_it_names_the_command_runs_the_rest_and_fails(box, uid, with_apt, with_brew, command):
    if not with_apt:
        (box.stand_ins / "apt-get").unlink()
    if with_brew:
        _script(box.stand_ins / "brew", f'echo "brew $*" >> {box.log}\n')
    done = box.run(FAKE_UID=uid)
    assert done.returncode == 1
    calls = box.calls()
    assert not [c for c in calls if c.startswith(("apt-get", "brew"))]  # nothing installed, nothing asked
    # Every other test still runs, and the synth: then it fails, saying what is missing and how.
    assert "python -m pytest -n 2 --dist loadfile -m not prometheus_tools" in calls
    assert "python -m tools.synth --stack dev --out build/synth" in calls
    first, *_, last = done.stderr.strip().splitlines()
    assert first.startswith(
        "check: promtool amtool missing: the tests that need them are left out; install them with: "
    )
    assert command in first and command in last and last.startswith("check: NOT COMPLETE")


def test_in_ci_a_user_with_passwordless_sudo_installs_them_through_sudo(box):
    # GitHub's runners: user `runner`, CI=true, passwordless sudo.
    _script(
        box.stand_ins / "sudo", f'echo "sudo $*" >> {box.log}\n[ "$1" = -n ] && shift\n[ "$1" = true ] || exec "$@"\n'
    )
    done = box.run(FAKE_UID="1001", CI="true")
    assert done.returncode == 0, done.stderr
    calls = box.calls()
    assert "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq" in calls
    assert [c for c in calls if c.startswith("apt-get install")] == [
        "apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager "
        "DEBIAN_FRONTEND=noninteractive policy-rc.d=101"
    ]
    assert not box.policy.exists() and "python -m pytest -n 2 --dist loadfile" in calls
    # The same user outside CI: nothing through sudo, the command to run instead.
    box.log.unlink()
    for tool in ("promtool", "amtool"):
        (box.stand_ins / tool).unlink()
    done = box.run(FAKE_UID="1001")
    assert done.returncode == 1 and not [c for c in box.calls() if c.startswith(("sudo", "apt-get"))]
    assert "install them with: sudo apt-get install -y prometheus prometheus-alertmanager" in done.stderr


def test_with_the_tools_on_the_path_nothing_is_installed(box):
    for tool in ("promtool", "amtool"):
        _script(box.stand_ins / tool, "")
    assert box.run(FAKE_UID="1000").returncode == 0
    assert not [c for c in box.calls() if c.startswith("apt-get")]


def test_setup_only_creates_the_venv_and_runs_nothing_else(box):
    shutil.rmtree(box.repo / "venv")
    shutil.rmtree(box.repo / "venv-checkov")
    done = box.run("--setup-only")
    assert done.returncode == 0, done.stderr
    assert box.calls() == [
        "python3 -m venv venv",
        "python -m pip install --quiet --upgrade pip",
        "python -m pip install --quiet -r requirements-dev.txt",
    ]
    assert (box.repo / "venv" / ".requirements.sha256").exists()
    assert not (box.repo / "venv-checkov").exists()  # the offline tools need ./venv only
    assert "venv/bin/python -m tools.new_stack" in done.stdout
    # A second run finds it ready: nothing is installed again.
    assert box.run("--setup-only").returncode == 0 and len(box.calls()) == 3


def test_unknown_arguments_are_a_usage_error(box):
    done = box.run("--bogus")
    assert done.returncode == 2 and "--setup-only" in done.stderr and box.calls() == []


def test_the_tests_that_run_promtool_or_amtool_are_found_from_their_source():
    source = textwrap.dedent(
        """
        PROMTOOL = "promtool"

        def _check(path):
            return run(PROMTOOL, path)

        @fixture
        def routes():
            return which("amtool")

        def test_uses_the_helper():
            _check("x")

        def test_uses_the_fixture(routes):
            pass

        def test_pure():
            assert "promtool rules" != "x"

        def test_fakes_them():
            for tool in ("promtool", "amtool"):
                fake(tool)

        def test_runs_it_by_name(tmp_path):
            subprocess.run(["amtool", "check-config", str(tmp_path)])
        """
    )
    assert prometheus_tool_users(source) == {
        "_check",
        "routes",
        "test_uses_the_helper",
        "test_uses_the_fixture",
        "test_runs_it_by_name",
    }


def test_ci_relies_on_check_sh_for_promtool_and_amtool():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec ./tools/check.sh" in ci and "prometheus" not in ci.split("exec ./tools/check.sh")[0]

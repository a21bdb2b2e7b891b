"""A fresh copy of the repository, as a new user's clone has it, for tests that run the tools and
workflow scripts from the outside."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def working_copy(dest: Path) -> Path:
    """What `git clone` of this repository gives (the tracked files; no venv, build/ or other
    ignored file), with the working tree's uncommitted changes, so a test judges the code it runs
    next to."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted in the working tree is gone from the copy too
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def shared_venv(copy: Path) -> Path:
    """`copy/venv`: a virtualenv over this repository's installed packages (its own pyvenv.cfg and
    interpreter link, the packages linked), stamped current for the copy's requirements the way
    tools/check.sh stamps it, so `./tools/check.sh --setup-only` finds it ready and never builds
    (nor writes into) the shared one."""
    real = (ROOT / "venv").resolve()
    venv = copy / "venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy(real / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "bin" / "python").symlink_to((real / "bin" / "python").resolve())
    for name in ("lib", "lib64"):
        if (real / name).exists():
            (venv / name).symlink_to((real / name).resolve())
    wanted = hashlib.sha256((copy / "requirements.txt").read_bytes() + (copy / "requirements-dev.txt").read_bytes())
    (venv / ".requirements.sha256").write_text(wanted.hexdigest() + "\n")
    return venv

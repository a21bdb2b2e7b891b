"""A fresh copy of the repository, as a new user's clone has it, for tests that run the tools and
workflow scripts from the outside."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def working_copy(dest: Path) -> Path:
    """A `git clone` of this repository (tracked files only: no venv, build/ or other ignored
    file), with the working tree's uncommitted changes laid over it, so a test judges the code it
    runs next to."""
    subprocess.run(["git", "clone", "--quiet", "--shared", str(ROOT), str(dest)], check=True, capture_output=True)

    def listed(*flags: str) -> list[str]:
        out = subprocess.run(["git", "ls-files", "-z", *flags], cwd=ROOT, capture_output=True, check=True).stdout
        return [name for name in out.decode().split("\0") if name]

    for name in listed("--modified", "--others", "--exclude-standard"):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for name in listed("--deleted"):
        (dest / name).unlink(missing_ok=True)
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

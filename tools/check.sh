#!/usr/bin/env bash
# The project's test command: creates ./venv when missing or when the requirements changed, then
# runs ruff, the whole pytest suite and the offline synth of the dev stack.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
stamp=venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "check: installing requirements-dev.txt into ./venv"
  "$python" -m venv venv
  venv/bin/python -m pip install --quiet --upgrade pip
  venv/bin/python -m pip install --quiet -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# checkov (tests/test_checkov.py) in a virtualenv of its own: its pins clash with the project's.
checkov_stamp=venv-checkov/.requirements.sha256
checkov_want=$(sha256sum requirements-checkov.txt | cut -d' ' -f1)
if [ ! -x venv-checkov/bin/checkov ] || [ "$(cat "$checkov_stamp" 2>/dev/null)" != "$checkov_want" ]; then
  echo "check: installing requirements-checkov.txt into ./venv-checkov"
  "$python" -m venv venv-checkov
  venv-checkov/bin/python -m pip install --quiet -r requirements-checkov.txt
  echo "$checkov_want" > "$checkov_stamp"
fi

# The alerting tests run Prometheus' own checkers (Debian packages prometheus, prometheus-alertmanager).
for tool in promtool amtool; do
  if ! command -v "$tool" >/dev/null; then
    echo "check: $tool is missing; install it: sudo apt-get install prometheus prometheus-alertmanager" >&2
    exit 1
  fi
done

echo "check: ruff"
venv/bin/ruff check .
venv/bin/ruff format --check .
echo "check: pytest"
# Two workers (this machine and CI have 2 cores); a module's tests stay together so its shared
# offline runs happen once.
venv/bin/python -m pytest -n 2 --dist loadfile
echo "check: synth of the dev stack"
venv/bin/python -m tools.synth --stack dev --out build/synth

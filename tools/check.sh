#!/usr/bin/env bash
# The project's test command.
#
#   ./tools/check.sh               ruff, the whole pytest suite and the offline synth of the dev stack
#   ./tools/check.sh --setup-only  only creates ./venv: what the offline tools (synth, plan, cost,
#                                  preflight, the stack wizard, the fleet runner) need; runs nothing
#
# ./venv is created from requirements-dev.txt when missing or when the requirements changed. The
# whole run also creates ./venv-checkov (requirements-checkov.txt: the checkov scanner, whose pins
# clash with the project's) and needs Prometheus' promtool and amtool: when they are missing it
# installs them with apt-get as root, or in CI (CI=true) through passwordless sudo (Debian packages
# prometheus and prometheus-alertmanager, starting no service). Where it cannot, it prints the
# command for this system, runs every test that does not need them, and exits 1.
#
# Exit codes: 0 everything passed; 1 a check failed, or promtool/amtool are missing (the rest ran);
# 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,16s/^# \{0,1\}//p' "$0"
}

setup_only=false
case "${1:-}" in
  "") ;;
  --setup-only) setup_only=true ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    echo "check: unknown argument ${1}; use --setup-only or nothing" >&2
    usage >&2
    exit 2
    ;;
esac

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

if $setup_only; then
  echo "check: ./venv is ready for the offline tools, e.g. venv/bin/python -m tools.new_stack"
  echo "check: (the test suite needs more: run ./tools/check.sh without --setup-only)"
  exit 0
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

# The alerting tests run Prometheus' own checkers: promtool (Debian package prometheus) and amtool
# (prometheus-alertmanager). Those tests carry the pytest marker `prometheus_tools`.
PACKAGES="prometheus prometheus-alertmanager"

missing_tools() {
  local tool out=""
  for tool in promtool amtool; do
    command -v "$tool" >/dev/null || out="$out $tool"
  done
  echo "${out# }"
}

# Who may install: root, or in CI (GitHub's runners set CI=true) a user with passwordless sudo.
# A developer's machine is never changed through sudo: it gets the command to run instead.
as_root=()
can_install() {
  command -v apt-get >/dev/null || return 1
  [ "$(id -u)" = 0 ] && return 0
  if [ "${CI:-}" = true ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
    return 0
  fi
  return 1
}

# Install without starting any service. Debian's maintainer scripts start services through
# invoke-rc.d / deb-systemd-invoke, which ask /usr/sbin/policy-rc.d first and start nothing when
# it exits 101; an existing policy is put back afterwards.
install_tools() {
  local policy=${POLICY_RC_D:-/usr/sbin/policy-rc.d} saved="" status=0
  local root=(${as_root[@]+"${as_root[@]}"})
  echo "check: installing promtool and amtool (apt-get install $PACKAGES), starting no service"
  if [ -e "$policy" ]; then
    saved="$policy.check-sh-saved"
    ${root[@]+"${root[@]}"} cp -p "$policy" "$saved"
  fi
  printf '#!/bin/sh\n# tools/check.sh: no service starts while it installs packages\nexit 101\n' |
    ${root[@]+"${root[@]}"} tee "$policy" >/dev/null
  ${root[@]+"${root[@]}"} chmod 755 "$policy"
  # shellcheck disable=SC2086 # the package list is words
  ${root[@]+"${root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    ${root[@]+"${root[@]}"} env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null ||
    status=$?
  if [ -n "$saved" ]; then
    ${root[@]+"${root[@]}"} mv "$saved" "$policy"
  else
    ${root[@]+"${root[@]}"} rm -f "$policy"
  fi
  # Where systemd runs, the packages also enable their services for the next boot: not for a test tool.
  if [ "$status" = 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    ${root[@]+"${root[@]}"} systemctl disable --quiet prometheus.service prometheus-alertmanager.service 2>/dev/null || true
  fi
  return "$status"
}

# The one command that installs them on this system (nothing is run).
install_command() {
  if command -v apt-get >/dev/null; then
    echo "sudo apt-get install -y $PACKAGES"
  elif command -v brew >/dev/null; then
    echo "brew install prometheus alertmanager"
  else
    echo "download prometheus and alertmanager from https://prometheus.io/download/ and put promtool and amtool on the PATH"
  fi
}

missing=$(missing_tools)
if [ -n "$missing" ] && can_install; then
  install_tools || echo "check: apt-get could not install $PACKAGES" >&2
  missing=$(missing_tools)
fi
selection=()
if [ -n "$missing" ]; then
  echo "check: $missing missing: the tests that need them are left out; install them with: $(install_command)" >&2
  selection=(-m "not prometheus_tools")
fi

echo "check: ruff"
venv/bin/ruff check .
venv/bin/ruff format --check .
echo "check: pytest"
# Two workers (this machine and CI have 2 cores); a module's tests stay together so its shared
# offline runs happen once.
venv/bin/python -m pytest -n 2 --dist loadfile ${selection[@]+"${selection[@]}"}
echo "check: synth of the dev stack"
venv/bin/python -m tools.synth --stack dev --out build/synth

if [ -n "$missing" ]; then
  echo "check: NOT COMPLETE: the promtool/amtool tests did not run ($missing missing); install them with: $(install_command), then run ./tools/check.sh again" >&2
  exit 1
fi

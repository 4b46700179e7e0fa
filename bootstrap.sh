#!/usr/bin/env bash
# Set up this checkout on a fresh Debian 12 machine: Debian packages (as root) and a
# virtualenv in .venv with govcloud installed. Safe to run again: it only does what is missing.
#   ./bootstrap.sh           what the main job needs
#   ./bootstrap.sh --tests   plus what the test suite needs (test hosts, linters)
set -euo pipefail
cd "$(dirname "$0")"

with_tests=0
[ "${1:-}" = "--tests" ] && with_tests=1

lists=(deps/apt-main.txt)
[ "$with_tests" = 1 ] && lists+=(deps/apt-test.txt)
wanted=$(sed -e 's/#.*//' "${lists[@]}" | xargs -r)
missing=""
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: these Debian packages are missing and installing them needs root:$missing" >&2
    exit 1
  fi
  echo "bootstrap: apt-get install$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  python3 -m venv .venv
fi
extra="" ; [ "$with_tests" = 1 ] && extra="[test]"
stamp=".venv/.govcloud-installed$extra"
digest=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "bootstrap: pip install -e .$extra"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  echo "$digest" > "$stamp"
fi
echo "bootstrap: ready (.venv/bin/govcloud)"

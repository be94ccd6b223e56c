#!/usr/bin/env bash
# Installs the Debian packages hbasim needs when any is missing (as root, with apt-get), or
# prints the exact command to run. Quiet when everything is present. `--check` only reports.
set -u
# command-or-file  package
need=(
  "verilator:verilator"
  "yosys:yosys"
  "iverilog:iverilog"
  "gtkwave:gtkwave"
  "xvfb-run:xvfb"
  "xauth:xauth"
  "g++:g++"
  "make:make"
  "/usr/include/zlib.h:zlib1g-dev"
)
missing=()
for item in "${need[@]}"; do
  what=${item%%:*}; pkg=${item##*:}
  if [[ $what == /* ]]; then [ -e "$what" ] && continue
  else command -v "$what" >/dev/null 2>&1 && continue; fi
  [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# --check: only say what is missing (exit 1), install nothing
if [ "${1:-}" = --check ]; then echo "deps: missing Debian packages: ${missing[*]}"; exit 1; fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # a failed index refresh (e.g. signature checks unavailable) still leaves the old lists
  # usable, so try the install either way and judge by its result
  apt-get update -qq || echo "deps: apt-get update failed; trying the existing package lists" >&2
  if apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    exit 0
  fi
  echo "deps: apt-get failed; run as root: $cmd" >&2
  exit 1
fi
echo "deps: missing Debian packages: ${missing[*]}" >&2
echo "deps: install them with:  sudo sh -c '$cmd'" >&2
exit 1

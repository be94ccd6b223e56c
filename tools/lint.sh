#!/usr/bin/env bash
# Verilator lint of one top: verilator --lint-only -Wall. Any warning fails.
#
#   tools/lint.sh TOP FILES...        (package files first)
#
# Extra Verilator options may be given in VLINT_FLAGS (e.g. "--assert +define+HBASIM_ASSERT").
# Prints the Verilator messages, then "lint TOP: clean" or "lint TOP: N warning(s)/error(s)".
set -u
if [ $# -lt 2 ]; then
  echo "usage: tools/lint.sh TOP FILES..." >&2
  exit 2
fi
top=$1; shift
command -v "${VERILATOR:-verilator}" > /dev/null || { echo "lint $top: verilator not found" >&2; exit 1; }
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
# shellcheck disable=SC2086
"${VERILATOR:-verilator}" --lint-only -Wall ${VLINT_FLAGS:-} --top-module "$top" "$@" > "$tmp" 2>&1
rc=$?
cat "$tmp"
n=$(grep -E '^%(Warning|Error)' "$tmp" | grep -vc 'Exiting due to')
if [ $rc -eq 0 ] && [ "$n" -eq 0 ]; then
  echo "lint $top: clean"
  exit 0
fi
echo "lint $top: $n warning(s)/error(s)"
exit 1

#!/usr/bin/env bash
# make lint: Verilator -Wall lint of the whole RTL and Yosys synthesis of each synthesizable
# top (cell counts, no latches). Usage: lint_all.sh PKG.sv... -- RTL.sv...
# Prints one "PASS|FAIL <check>" line per check and "N passed, N failed" last.
set -u
BUILD=${BUILD:-build}
pkgs=(); rtl=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pkgs+=("$1"); shift; done
[ $# -gt 0 ] && shift
rtl=("$@")
out=$BUILD/lint; mkdir -p "$out"
pass=0; fail=0
check() {  # name, command...
  local name=$1; shift
  if "$@" > "$out/$name.log" 2>&1; then
    pass=$((pass+1)); echo "PASS $name $(tail -n 1 "$out/$name.log")"
  else
    fail=$((fail+1)); echo "FAIL $name (log: $out/$name.log)"; tail -n 20 "$out/$name.log" | sed 's/^/    /'
  fi
}
# Blocks that stand alone as synthesis tops (sysdma, the HBA's engines) besides the SoC; a
# block is linted on its own too, so it is checked before soc_top instantiates it.
tops=(soc_top sysdma)
for top in hba hba_sgdma axi_arb; do
  grep -qE "^module $top\b" "${rtl[@]}" 2>/dev/null && tops+=("$top")
done
for top in "${tops[@]}"; do
  check "lint.verilator.$top" tools/lint.sh "$top" "${pkgs[@]}" "${rtl[@]}"
done
for top in "${tops[@]}"; do
  check "synth.yosys.$top" tools/synth.sh "$top" "$out" "${pkgs[@]}" "${rtl[@]}"
done
# The second simulator parses the same subset.
check lint.iverilog.soc_top iverilog -g2012 -o "$out/soc_top.vvp" -s soc_top "${pkgs[@]}" "${rtl[@]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

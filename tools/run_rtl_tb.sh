#!/usr/bin/env bash
# Runs one self-checking SystemVerilog testbench under Icarus Verilog against the RTL and the
# generated register packages. Passes when the simulation exits 0 and printed no FAIL line.
set -u
BUILD=${BUILD:-build}
tb=$1; name=$(basename "$tb" .sv)
out=$BUILD/rtl_tb; mkdir -p "$out"
pkgs=$(ls "$BUILD"/gen/*_reg_pkg.sv)
# shellcheck disable=SC2086
iverilog -g2012 -o "$out/$name.vvp" -s "$name" $pkgs rtl/*/*.sv "$tb" || exit 1
vvp -n "$out/$name.vvp" | tee "$out/$name.out"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || exit "$rc"
! grep -q 'FAIL' "$out/$name.out"

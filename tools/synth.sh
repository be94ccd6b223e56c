#!/usr/bin/env bash
# Synthesis check with Yosys 0.23: elaborate TOP from the given SystemVerilog files (package
# files first), refuse latches, synthesize to generic cells and count them.
#
#   tools/synth.sh TOP OUTDIR FILES...
#
# Writes the whole Yosys log to OUTDIR/synth_TOP.log and prints one summary line
#   synth TOP: N cells, 0 latches
# Exit status: 0 ok; 1 Yosys error (parse, elaboration, synthesis); 2 usage; 3 latches found
# (each named on stderr with the process it came from).
set -u
if [ $# -lt 3 ]; then
  echo "usage: tools/synth.sh TOP OUTDIR FILES..." >&2
  exit 2
fi
top=$1; outdir=$2; shift 2
command -v yosys > /dev/null || { echo "synth $top: yosys not found (make deps)" >&2; exit 1; }
mkdir -p "$outdir" || exit 1
log=$outdir/synth_$top.log
for f in "$@"; do
  [ -r "$f" ] || { echo "synth $top: cannot read $f" >&2; exit 2; }
done

# Latches are looked for twice: after proc (what the RTL describes, with Yosys's message
# naming the signal and its process) and after synth (nothing may have turned into one).
latch_cells='t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_* t:$sr t:$_SR_*'
script="read_verilog -sv $*
hierarchy -check -top $top
proc
tee -o $outdir/latches_$top.txt select -count $latch_cells
select -assert-none $latch_cells
synth -top $top
tee -o $outdir/latches_after_$top.txt select -count $latch_cells
select -assert-none $latch_cells
tee -o $outdir/stat_$top.txt stat -top $top"

if yosys -q -l "$log" -p "$script" > /dev/null 2>&1; then
  cells=$(grep -E '^ +Number of cells: +[0-9]+' "$outdir/stat_$top.txt" | tail -n 1 | awk '{print $4}')
  nw=$(grep -c '^Warning:' "$log")
  [ "$nw" -gt 0 ] && echo "synth $top: $nw Yosys warning(s), see $log" >&2
  echo "synth $top: ${cells:-?} cells, 0 latches"
  exit 0
fi

if grep -q 'Latch inferred' "$log" || grep -q 'Assertion failed: selection is not empty' "$log"; then
  n=$(grep -c 'Latch inferred' "$log")
  echo "synth $top: FAILED, latches inferred ($n):" >&2
  grep 'Latch inferred' "$log" | sed 's/^/  /' >&2
  if [ "$n" -eq 0 ]; then grep -A 20 'Assertion failed' "$log" | sed 's/^/  /' >&2; fi
  echo "synth $top: ? cells, $n latches"
  exit 3
fi
echo "synth $top: FAILED (Yosys error), log $log:" >&2
grep -E 'ERROR|Error' "$log" | head -n 10 | sed 's/^/  /' >&2
exit 1

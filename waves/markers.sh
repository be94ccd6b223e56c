#!/usr/bin/env bash
# waves/markers.sh: a copy of a GTKWave save file with named markers at given clock cycles,
# for opening a waveform interactively with the interrupts and the failure marked.
#
#   waves/markers.sh [--clk-hz HZ] FILE.fst IN.gtkw OUT.gtkw CYCLE[:LABEL]...
#   gtkwave FILE.fst OUT.gtkw
#
# Markers are named A, B, C ... (at most 26) and labelled on the time axis; cycle N sits at
# N clock periods (--clk-hz, default 50000000). The FST's timescale converts them to its units.
# The primary marker is put on the last one (the failing cycle, by convention the last given).
# waves/render.sh takes the same markers (--marker CYCLE:LABEL) for pictures.
set -u
clk_hz=50000000
if [ "${1:-}" = "--clk-hz" ]; then clk_hz=${2:-}; shift 2; fi
if [ $# -lt 4 ]; then
  sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
fst=$1 in=$2 out=$3; shift 3
case $clk_hz in ''|*[!0-9]*|0) echo "markers.sh: bad --clk-hz '$clk_hz'" >&2; exit 2 ;; esac
[ -r "$fst" ] || { echo "markers.sh: cannot read $fst" >&2; exit 1; }
[ -r "$in" ] || { echo "markers.sh: cannot read $in" >&2; exit 1; }
[ $# -le 26 ] || { echo "markers.sh: at most 26 markers" >&2; exit 2; }

# the dump's time unit, e.g. "1ps" or "100ns", as a number of femtoseconds
ts=$(fst2vcd "$fst" 2>/dev/null | awk '/\$timescale/ { getline; print $1 $2; exit }')
num=${ts%%[a-z]*}; unit=${ts#"$num"}
case $unit in
  fs) f=1 ;; ps) f=1000 ;; ns) f=1000000 ;; us) f=1000000000 ;; ms) f=1000000000000 ;;
  s) f=1000000000000000 ;;
  *) echo "markers.sh: cannot read the timescale of $fst ('$ts')" >&2; exit 1 ;;
esac
unit_fs=$(( ${num:-1} * f ))

times=() labels=()
for m in "$@"; do
  c=${m%%:*}; label=""
  [ "$c" != "$m" ] && label=${m#*:}
  case $c in ''|*[!0-9]*) echo "markers.sh: bad marker '$m' (CYCLE[:LABEL])" >&2; exit 2 ;; esac
  # cycle * period in fs, in dump units (1e15 / clk_hz fs per cycle)
  times+=( $(( c * (1000000000000000 / clk_hz) / unit_fs )) )
  labels+=( "$label" )
done

letters=(A B C D E F G H I J K L M N O P Q R S T U V W X Y Z)
named=""
for i in $(seq 0 25); do
  if [ "$i" -lt ${#times[@]} ]; then named="$named ${times[$i]}"; else named="$named -1"; fi
done
primary=${times[$((${#times[@]} - 1))]}
zoom=$(awk '/^\*/ { print substr($1, 2); exit }' "$in")
{
  awk '!/^\*/ && !/^\[markername\]/ && !/^\[dumpfile/ && !/^\[savefile\]/' "$in" |
    awk -v star="*${zoom:--24} $primary$named" -v n=${#times[@]} -v labels="$(printf '%s\n' "${labels[@]}")" '
      BEGIN { split(labels, lab, "\n"); split("A B C D E F G H I J K L M N O P Q R S T U V W X Y Z", L, " ") }
      !done && /^@|^-/ {
        print star
        for (i = 1; i <= n; i++) if (lab[i] != "") print "[markername] " L[i] lab[i]
        done = 1
      }
      { print }'
} > "$out"
for i in "${!times[@]}"; do
  echo "marker ${letters[$i]}: cycle ${1%%:*} -> time ${times[$i]} (${ts} units) ${labels[$i]}"
  shift
done

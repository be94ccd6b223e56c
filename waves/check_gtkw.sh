#!/usr/bin/env bash
# waves/check_gtkw.sh FST GTKW: lists the signals of a GTKWave save file that the waveform
# does not contain (GTKWave drops them silently). Exit 0 when every signal is found.
set -u
[ $# -eq 2 ] || { echo "usage: waves/check_gtkw.sh FILE.fst FILE.gtkw" >&2; exit 2; }
fst=$1 gtkw=$2
[ -r "$fst" ] || { echo "check_gtkw: cannot read $fst" >&2; exit 2; }
[ -r "$gtkw" ] || { echo "check_gtkw: cannot read $gtkw" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
# the FST's signal names as GTKWave spells them: scope.path.name[msb:lsb]
fst2vcd "$fst" 2>/dev/null | awk '
  /\$enddefinitions/ { exit }
  $1 == "$scope" { path[++n] = $3; next }
  $1 == "$upscope" { n--; next }
  $1 == "$var" {
    name = $5; range = ($6 != "$end") ? $6 : ""
    p = ""; for (i = 1; i <= n; i++) p = p path[i] "."
    print p name range
  }' | sort -u > "$tmp/fst"
[ -s "$tmp/fst" ] || { echo "check_gtkw: no signals read from $fst" >&2; exit 2; }
# signal lines of the save file: not comments, groups, flags or [settings]; alias prefix and
# the bit-select prefix "(N)" (bit N counted from the vector's MSB) dropped
grep -vE '^(\[|\*|@|-|$)' "$gtkw" | sed -E 's/^\+\{[^}]*\} //; s/^\([0-9]+\)//' | sort -u > "$tmp/gtkw"
missing=$(comm -23 "$tmp/gtkw" "$tmp/fst")
total=$(wc -l < "$tmp/gtkw")
if [ -n "$missing" ]; then
  echo "$missing" | sed 's/^/missing: /'
  echo "check_gtkw: $(echo "$missing" | wc -l) of $total signals of $gtkw are not in $fst"
  exit 1
fi
echo "check_gtkw: all $total signals of $gtkw are in $fst"

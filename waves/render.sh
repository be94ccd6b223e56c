#!/usr/bin/env bash
# waves/render.sh: draws a waveform to a PNG without a display (Xvfb + GTKWave).
#
#   waves/render.sh [--clk-hz HZ] [--marker CYCLE[:LABEL]]... [--marker-ns NS[:LABEL]]...
#                   [--fail-log TEST.log] FILE.fst FILE.gtkw OUT.png [START_NS END_NS]
#
# The picture shows the signals of the save file, zoomed to START_NS..END_NS or to the whole
# dump, with up to 26 named markers (A, B, ...) labelled on the time axis. --marker takes a
# clock cycle (cycle N at N clock periods, --clk-hz default 50000000, the harness default),
# --marker-ns a time in ns. --fail-log puts a FAIL marker at the "cycle N" of the test log's
# FAIL line, if it has one. Needs: gtkwave, xvfb-run (Debian: gtkwave, xvfb, xauth).
set -u
here=$(cd "$(dirname "$0")" && pwd)
clk_hz=50000000
markers=()      # "CYCLE:LABEL" or "ns=NS:LABEL"
usage() {
  sed -n '4,5p' "$0" | sed 's/^# \{0,1\}/usage: /;2,$s/^usage:/      /' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --clk-hz) [ $# -ge 2 ] || usage; clk_hz=$2; shift 2 ;;
    --marker) [ $# -ge 2 ] || usage; markers+=("$2"); shift 2 ;;
    --marker-ns) [ $# -ge 2 ] || usage; markers+=("ns=$2"); shift 2 ;;
    --fail-log) [ $# -ge 2 ] || usage
      c=$(grep -E '^FAIL ' "$2" 2>/dev/null | tail -n 1 | grep -oE 'cycle [0-9]+' | head -n 1)
      [ -n "$c" ] && markers+=("${c#cycle }:FAIL")
      shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "render.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 3 ] || [ $# -eq 5 ] || usage
fst=$1 gtkw=$2 out=$3
is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }
is_uint "$clk_hz" && [ "$clk_hz" -gt 0 ] || { echo "render.sh: bad --clk-hz $clk_hz" >&2; exit 2; }
[ -r "$fst" ] || { echo "render.sh: cannot read $fst" >&2; exit 1; }
[ -r "$gtkw" ] || { echo "render.sh: cannot read $gtkw" >&2; exit 1; }
for tool in gtkwave xvfb-run; do
  command -v "$tool" > /dev/null ||
    { echo "render.sh: $tool not found (Debian packages: gtkwave xvfb xauth)" >&2; exit 1; }
done

range=""
if [ $# -eq 5 ]; then
  is_uint "$4" && is_uint "$5" && [ "$5" -gt "$4" ] ||
    { echo "render.sh: START_NS END_NS must be integers, START < END" >&2; exit 2; }
  range="$(( $4 * 1000 )) $(( $5 * 1000 ))"
fi

# markers in ps for render.tcl: "PS:LABEL;..."
mlist=""
for m in "${markers[@]+"${markers[@]}"}"; do
  t=${m%%:*}; label=""
  [ "$t" != "$m" ] && label=${m#*:}
  case $t in
    ns=*) t=${t#ns=}; is_uint "$t" || { echo "render.sh: bad marker '$m'" >&2; exit 2; }
          ps=$(( t * 1000 )) ;;
    *) is_uint "$t" || { echo "render.sh: bad marker '$m'" >&2; exit 2; }
       ps=$(( t * 1000000000000 / clk_hz )) ;;
  esac
  label=${label//;/,}
  mlist="$mlist$ps:$label;"
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Size the window to the rows the save file shows (signals outside closed groups, group
# titles), so the grab holds every signal.
rows=$(awk '
  /^@/ { flags = substr($0, 2); next }
  /^-/ { if (flags ~ /^[c8]00200$/) {            # group start (c: closed)
           if (!hidden) rows++
           stack[++depth] = hidden; if (flags ~ /^c/) hidden = 1
         } else if (flags ~ /^1[04]00200$/) {     # group end: shown as a row too
           if (depth > 0) hidden = stack[depth--]
           if (!hidden) rows++
         } else if (!hidden) rows++               # comment line
         next }
  /^(\[|\*|$)/ { next }
  { if (!hidden) rows++ }
  END { print rows + 0 }' "$gtkw")
width=1800
height=$(( 190 + 21 * (rows + 1) ))
[ "$height" -lt 500 ] && height=500
sed -E "s/^\[size\].*/[size] $width $height/" "$gtkw" > "$tmp/render.gtkw"
grep -q '^\[size\]' "$tmp/render.gtkw" || sed -i "1i [size] $width $height" "$tmp/render.gtkw"
cat > "$tmp/render.rc" <<'RC'
hide_sst 1
splash_disable 1
RC

rm -f "$out"
HBASIM_RENDER_OUT=$(cd "$(dirname "$out")" && pwd)/$(basename "$out") \
HBASIM_RENDER_FST=$fst HBASIM_RENDER_RANGE=$range HBASIM_RENDER_MARKERS=$mlist \
  timeout 180 xvfb-run -a -s "-screen 0 $((width + 64))x$((height + 64))x24" \
  gtkwave -r "$tmp/render.rc" -R "$here/render.tcl" -P 400 "$fst" "$tmp/render.gtkw" \
  > "$tmp/gtkwave.log" 2>&1
rc=$?
grep -E '^render:|rror' "$tmp/gtkwave.log"
if [ $rc -ne 0 ] || [ ! -s "$out" ]; then
  echo "render.sh: gtkwave failed (exit $rc); its output:" >&2
  cat "$tmp/gtkwave.log" >&2
  exit 1
fi
echo "render.sh: wrote $out (${width}x${height}, $rows rows)"

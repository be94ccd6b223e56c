#!/usr/bin/env bash
# regtool self-tests. Prints one PASS/FAIL line per case and "N passed, N failed" last.
#
#   good_*.regs  must be accepted; --c/--sv/--md output must equal good_*.expected.{h,sv,md};
#                the header must compile (cc -Wall -Wextra -Werror) and the package must pass
#                verilator --lint-only -Wall, yosys read_verilog -sv and iverilog -g2012
#                (each tool only when installed);
#   bad_*.regs   must be rejected (exit 1), writing no output, and every line of bad_*.err
#                must appear in the error messages;
#   plus cases built here: an over-long line, a NUL byte, usage errors, an unwritable output,
#   and the atomic-write rule (a failing run leaves an existing output untouched).
#
# Uses $REGTOOL, else $BUILD/tools/regtool (BUILD defaults to build), else compiles
# tools/regtool.c into a temporary directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) build_abs=$BUILD ;; *) build_abs=$root/$BUILD ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regtool_test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

regtool=${REGTOOL:-}
if [ -z "$regtool" ]; then
  if [ -x "$build_abs/tools/regtool" ] && [ "$build_abs/tools/regtool" -nt "$root/tools/regtool.c" ]; then
    regtool=$build_abs/tools/regtool
  else
    regtool=$tmp/regtool
    if ! ${CC:-cc} -std=c11 -Wall -Wextra -Werror -O1 -g -o "$regtool" "$root/tools/regtool.c"; then
      echo "FAIL regtool.build"; echo "0 passed, 1 failed"; exit 1
    fi
  fi
fi
case $regtool in /*) ;; *) regtool=$PWD/$regtool ;; esac

pass=0; fail=0
ok() { pass=$((pass+1)); echo "PASS regtool.$1"; }
ko() { fail=$((fail+1)); echo "FAIL regtool.$1: $2"; }

cd "$here" || exit 1

# --- accepted descriptions, exact outputs, and the outputs accepted by their consumers ---
for regs in good_*.regs; do
  name=${regs%.regs}
  if ! "$regtool" --c "$tmp/$name.h" --sv "$tmp/$name.sv" --md "$tmp/$name.md" "$regs" \
       2> "$tmp/$name.stderr"; then
    ko "$name" "rejected: $(head -n 3 "$tmp/$name.stderr")"; continue
  fi
  bad=""
  for ext in h sv md; do
    if ! diff -u "$name.expected.$ext" "$tmp/$name.$ext" > "$tmp/$name.$ext.diff"; then
      bad="$bad $ext"; head -n 20 "$tmp/$name.$ext.diff" | sed 's/^/    /'
    fi
  done
  if [ -n "$bad" ]; then ko "$name" "output differs from expected:$bad"; else ok "$name"; fi

  # the C header compiles warning-free and its masks agree with shift and width
  guard=$(grep -m1 '^#ifndef' "$tmp/$name.h" | cut -d' ' -f2)
  prefix=${guard%_REGS_H}
  {
    echo "#include \"$name.h\""
    echo "#include \"$name.h\" /* the include guard works */"
    grep -oE "^#define ${prefix}_[A-Z0-9_]+_SHIFT" "$tmp/$name.h" | sed 's/^#define //; s/_SHIFT$//' |
      while read -r f; do
        echo "_Static_assert(${f}_MASK == (((${f}_WIDTH == 32u) ? 0xFFFFFFFFu : ((1u << ${f}_WIDTH) - 1u)) << ${f}_SHIFT), \"$f\");"
      done
    echo "int main(void) { return 0; }"
  } > "$tmp/${name}_use.c"
  if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$tmp" -o "$tmp/${name}_use" "$tmp/${name}_use.c" \
       > "$tmp/${name}_cc.log" 2>&1; then
    ok "$name.c_header_compiles"
  else
    ko "$name.c_header_compiles" "$(head -n 5 "$tmp/${name}_cc.log")"
  fi

  # the package parses in all three RTL tools (a module takes one name from it)
  pkg=$(grep -m1 '^package' "$tmp/$name.sv" | sed 's/package \(.*\);/\1/')
  first=$(grep -m1 -oE 'localparam logic \[[0-9]+:0\] [A-Z0-9_]+' "$tmp/$name.sv" | awk '{print $4}')
  cp "$tmp/$name.sv" "$tmp/$pkg.sv"  # Verilator wants the file named after the package
  printf 'module %s_use (output logic [31:0] v_o);\n  assign v_o = 32'"'"'(%s::%s);\nendmodule\n' \
    "$name" "$pkg" "$first" > "$tmp/${name}_use.sv"
  if command -v verilator > /dev/null; then
    if verilator --lint-only -Wall --top-module "${name}_use" "$tmp/$pkg.sv" "$tmp/${name}_use.sv" \
         > "$tmp/${name}_vl.log" 2>&1; then ok "$name.sv_verilator_lint"
    else ko "$name.sv_verilator_lint" "$(head -n 5 "$tmp/${name}_vl.log")"; fi
  fi
  if command -v yosys > /dev/null; then
    if yosys -q -p "read_verilog -sv $tmp/$pkg.sv $tmp/${name}_use.sv; hierarchy -top ${name}_use" \
         > "$tmp/${name}_ys.log" 2>&1; then ok "$name.sv_yosys"
    else ko "$name.sv_yosys" "$(head -n 5 "$tmp/${name}_ys.log")"; fi
  fi
  if command -v iverilog > /dev/null; then
    if iverilog -g2012 -o "$tmp/${name}.vvp" "$tmp/$pkg.sv" "$tmp/${name}_use.sv" \
         > "$tmp/${name}_iv.log" 2>&1; then ok "$name.sv_iverilog"
    else ko "$name.sv_iverilog" "$(head -n 5 "$tmp/${name}_iv.log")"; fi
  fi
done

# --- rejected descriptions: exit 1, no output, the expected messages ---
expect_reject() {  # name, regs file, expected-messages file
  local name=$1 regs=$2 errf=$3 rc missing=""
  rm -f "$tmp/out.h"
  "$regtool" --c "$tmp/out.h" "$regs" > "$tmp/$name.stdout" 2> "$tmp/$name.stderr"; rc=$?
  if [ "$rc" -ne 1 ]; then ko "$name" "exit status $rc, expected 1"; return; fi
  if [ -e "$tmp/out.h" ]; then ko "$name" "wrote an output despite errors"; return; fi
  if ls "$tmp"/out.h.tmp* > /dev/null 2>&1; then ko "$name" "left a temporary file"; return; fi
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    grep -qxF -- "$line" "$tmp/$name.stderr" || missing="$missing\n    expected: $line"
  done < "$errf"
  if [ -n "$missing" ]; then
    ko "$name" "messages differ"; printf "$missing\n"; sed 's/^/    got:      /' "$tmp/$name.stderr"
  else ok "$name"; fi
}
for regs in bad_*.regs; do
  expect_reject "${regs%.regs}" "$regs" "${regs%.regs}.err"
done

# an over-long line and a NUL byte (binary input must be refused, not crash)
{ printf 'block t "x"\nspace io\nreg R @0 "'; head -c 5000 /dev/zero | tr '\0' a; printf '"\n'; } \
  > "$tmp/long_line.regs"
echo "long_line.regs:3: error: line longer than 4096 characters" > "$tmp/long_line.err"
printf 'block t "x"\nspace io\nreg R @0 "a\000b"\n' > "$tmp/nul_byte.regs"
echo "nul_byte.regs:3: error: NUL byte in line (not a text file?)" > "$tmp/nul_byte.err"
pushd "$tmp" > /dev/null || exit 1
expect_reject long_line long_line.regs long_line.err
expect_reject nul_byte nul_byte.regs nul_byte.err
head -c 20000 /dev/urandom > "$tmp/random.regs"
"$regtool" --check "$tmp/random.regs" > /dev/null 2>&1; rc=$?
if [ "$rc" -eq 1 ]; then ok random_bytes_rejected; else ko random_bytes_rejected "exit status $rc"; fi
popd > /dev/null || exit 1

# --- command line ---
"$regtool" > /dev/null 2>&1; rc=$?
if [ "$rc" -eq 2 ]; then ok usage_no_args; else ko usage_no_args "exit status $rc, expected 2"; fi
"$regtool" --frob good_io.regs > /dev/null 2>&1; rc=$?
if [ "$rc" -eq 2 ]; then ok usage_unknown_option; else ko usage_unknown_option "exit status $rc"; fi
"$regtool" --check "$tmp/does_not_exist.regs" 2> "$tmp/nofile.stderr"; rc=$?
if [ "$rc" -eq 1 ] && grep -q 'does_not_exist.regs: error: cannot open' "$tmp/nofile.stderr"; then
  ok missing_input; else ko missing_input "exit status $rc: $(cat "$tmp/nofile.stderr")"; fi
if "$regtool" --check good_io.regs 2> "$tmp/check.stderr" && [ ! -s "$tmp/check.stderr" ]; then
  ok check_good_quiet; else ko check_good_quiet "$(cat "$tmp/check.stderr")"; fi
"$regtool" --c "$tmp/no/such/dir/out.h" good_io.regs 2> "$tmp/unwritable.stderr"; rc=$?
if [ "$rc" -eq 3 ] && grep -q 'cannot create a temporary file' "$tmp/unwritable.stderr"; then
  ok unwritable_output; else ko unwritable_output "exit status $rc"; fi

# --- atomic update: a failing run leaves the previous output as it was ---
"$regtool" --c "$tmp/keep.h" good_io.regs
cp "$tmp/keep.h" "$tmp/keep.orig"
"$regtool" --c "$tmp/keep.h" bad_value.regs 2> /dev/null
if cmp -s "$tmp/keep.h" "$tmp/keep.orig" && ! ls "$tmp"/keep.h.tmp* > /dev/null 2>&1; then
  ok failed_run_keeps_output; else ko failed_run_keeps_output "output changed or temp left"; fi
# "-" writes to standard output, identical to the file output
if "$regtool" --md - good_io.regs | cmp -s - good_io.expected.md; then
  ok stdout_output; else ko stdout_output "differs"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

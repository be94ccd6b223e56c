#!/usr/bin/env bash
# make test: every stage of the suite, then the total as the last line "N passed, N failed".
#  1. C tests (sanitized build) through the runner: one process per test and seed
#  2. RTL testbenches under Icarus Verilog (tests/rtl/*_tb.sv)
#  3. tool self-tests (tests/*/run.sh: regtool, runner)
#  4. DDK headers: tests/ddk/*.c compile unchanged against driver/include (make check-ddk)
#  5. lint: Verilator -Wall, Yosys synthesis without latches, Icarus parse, register docs fresh
set -u
BUILD=${BUILD:-build}; JOBS=${JOBS:-2}; SEED=${SEED:-1}; RESEED=${RESEED:-3}
TIMEOUT=${TIMEOUT:-600}; FILTER=${FILTER:-}
total_pass=0; total_fail=0
stage() {  # name, log file: adds the "N passed, N failed" of the log to the totals
  local name=$1 log=$2 line p f
  line=$(grep -E '^[A-Za-z]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "== $name: no result line (counted as 1 failure)"; total_fail=$((total_fail+1)); return
  fi
  p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
  echo "== $name: $p passed, $f failed"
  total_pass=$((total_pass+p)); total_fail=$((total_fail+f))
}
mkdir -p "$BUILD/results"

echo "== C tests ($BUILD/san/hbasim_tests, seed $SEED, random tests x$RESEED)"
args=(--bin "$BUILD/san/hbasim_tests" -j "$JOBS" --seed "$SEED" --reseed "$RESEED"
      --timeout "$TIMEOUT" --results "$BUILD/results")
[ -n "$FILTER" ] && args+=(--filter "$FILTER")
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$BUILD/tools/runner" "${args[@]}" 2>&1 | tee "$BUILD/results/c_tests.log"
stage "C tests" "$BUILD/results/c_tests.log"

if [ -z "$FILTER" ]; then
  log=$BUILD/results/rtl_tests.log; : > "$log"
  p=0; f=0
  for tb in tests/rtl/*_tb.sv; do
    [ -e "$tb" ] || continue
    name=$(basename "$tb" .sv)
    if tools/run_rtl_tb.sh "$tb" > "$BUILD/results/$name.log" 2>&1; then
      p=$((p+1)); echo "PASS rtl.$name" | tee -a "$log"
    else
      f=$((f+1)); echo "FAIL rtl.$name (log: $BUILD/results/$name.log)" | tee -a "$log"
      tail -n 15 "$BUILD/results/$name.log" | sed 's/^/    /'
    fi
  done
  echo "$p passed, $f failed" >> "$log"
  stage "RTL testbenches (iverilog)" "$log"

  for t in tests/*/run.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$(dirname "$t")")
    BUILD=$BUILD bash "$t" > "$BUILD/results/$name.log" 2>&1
    grep -E '^(PASS|FAIL)' "$BUILD/results/$name.log" | sed "s/^/  $name: /"
    stage "$name self-tests" "$BUILD/results/$name.log"
  done

  make --no-print-directory BUILD="$BUILD" check-ddk > "$BUILD/results/ddk.log" 2>&1
  grep -E '^(PASS|FAIL)' "$BUILD/results/ddk.log" | sed 's/^/  /'
  stage "DDK headers compile a documented-style miniport" "$BUILD/results/ddk.log"

  make --no-print-directory BUILD="$BUILD" lint > "$BUILD/results/lint.log" 2>&1
  grep -E '^(PASS|FAIL|check-gen)' "$BUILD/results/lint.log" | sed 's/^/  /'
  if grep -q 'check-gen: register docs match' "$BUILD/results/lint.log"; then
    echo "1 passed, 0 failed" > "$BUILD/results/checkgen.log"
  else
    echo "0 passed, 1 failed" > "$BUILD/results/checkgen.log"
  fi
  stage "lint and synthesis" "$BUILD/results/lint.log"
  stage "generated register docs" "$BUILD/results/checkgen.log"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]

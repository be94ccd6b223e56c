#!/usr/bin/env bash
# Self-tests of tools/runner, run against tests/runner/fake_tests.c (a fake test binary with a
# passing, failing, crashing, hanging, silent and random test). Each check prints PASS or FAIL;
# the last line is "N passed, N failed". Uses $BUILD/tools/runner (built here when missing).
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
work=$BUILD/tests/runner
rm -rf "$work"
mkdir -p "$work"
CC=${CC:-cc}
CFLAGS="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g"

RUNNER=${RUNNER:-$BUILD/tools/runner}
if [ ! -x "$RUNNER" ]; then
  RUNNER=$work/runner
  $CC $CFLAGS -o "$RUNNER" tools/runner.c || { echo "0 passed, 1 failed"; exit 1; }
fi
FAKE=$work/fake_tests
$CC $CFLAGS -o "$FAKE" tests/runner/fake_tests.c || { echo "0 passed, 1 failed"; exit 1; }

pass=0; fail=0
check() {  # name, then a command that must succeed
  local name=$1; shift
  if "$@" > /dev/null 2>&1; then pass=$((pass+1)); echo "PASS runner.$name"
  else fail=$((fail+1)); echo "FAIL runner.$name"; fi
}
last_line_is() { [ "$(tail -n 1 "$1")" = "$2" ] && [ -z "$(tail -c 1 "$1" | tr -d '\n')" ]; }
has() { grep -qF -- "$2" "$1"; }
count_lines() { [ "$(wc -l < "$1")" -eq "$2" ]; }

# --- a full run: 2 pass, 4 fail (fail, crash, hang by timeout, exit 0 without PASS) -------------
res=$work/full
start=$(date +%s)
HBASIM_FAKE_PIDFILE=$work/hang.pid "$RUNNER" --bin "$FAKE" -j 3 --timeout 1 --results "$res" \
  > "$work/full.out" 2> "$work/full.err"
rc=$?
elapsed=$(( $(date +%s) - start ))
check full_exit_code_1 test "$rc" -eq 1
check full_summary_last_line last_line_is "$work/full.out" "2 passed, 4 failed"
check full_reproduce_command has "$work/full.out" "reproduce: make waves TEST=fake.fail SEED=1"
check full_reason_from_fail_line has "$work/full.out" \
  "FAIL fake.fail seed 1: fake_tests.c:1: cycle 77: CHECK(x == 1) failed: x is 0"
check full_crash_is_failure has "$work/full.out" "FAIL fake.crash seed 1: crashed: killed by signal 11"
check full_nopass_is_failure has "$work/full.out" "fake.nopass seed 1: exit status 0 without a PASS line"
check full_plain_lines_on_stderr has "$work/full.err" "PASS fake.pass seed 1"
check full_log_per_run test -s "$res/logs/fake.pass.1.log" -a -s "$res/logs/fake.random.1.log"
check full_log_first_line_is_test has "$res/logs/fake.pass.1.log" "test fake.pass seed 1"

# timeout: the hang (which ignores SIGTERM) and its own child are killed, soon after 1 s
check timeout_reported has "$work/full.out" "FAIL fake.hang seed 1: TIMEOUT"
check timeout_bounded test "$elapsed" -lt 15
grandchild_dead() {
  local pid
  pid=$(cat "$work/hang.pid") || return 1
  [ -n "$pid" ] || return 1
  local st
  # gone, or a zombie waiting to be reaped (state Z in /proc/PID/stat)
  st=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null)
  [ -z "$st" ] || [ "$st" = Z ]
}
check timeout_kills_process_group grandchild_dead

# junit.xml: well formed, counts, one testcase per run, failure types, log tail in the body
j=$res/junit.xml
if command -v xmllint > /dev/null; then
  check junit_well_formed xmllint --noout "$j"
fi
check junit_suite_counts has "$j" '<testsuite name="fake" tests="6" failures="4" errors="0"'
check junit_total_counts has "$j" '<testsuites name="hbasim" tests="6" failures="4"'
junit_testcases() { [ "$(grep -c '<testcase ' "$j")" -eq 6 ]; }
check junit_one_testcase_per_run junit_testcases
check junit_testcase_attrs has "$j" '<testcase name="pass" classname="fake" time="'
check junit_crash_failure has "$j" '<failure type="crash" message="crashed: killed by signal 11'
check junit_timeout_failure has "$j" '<failure type="timeout"'
check junit_failure_has_log_tail has "$j" 'FAIL fake.fail: fake_tests.c:1: cycle 77'
junit_failures() { [ "$(grep -c '<failure ' "$j")" -eq 4 ]; }
check junit_four_failures junit_failures

# --- filters --------------------------------------------------------------------------------
"$RUNNER" --bin "$FAKE" --list --filter 'fake.pass,fake.rand*' > "$work/f1.out"
check filter_include_list count_lines "$work/f1.out" 2
"$RUNNER" --bin "$FAKE" --list --filter '*' --filter '!fake.hang,!fake.c*' > "$work/f2.out"
check filter_exclude_list count_lines "$work/f2.out" 4
check filter_excluded_absent sh -c "! grep -q 'fake.hang\|fake.crash' '$work/f2.out'"
"$RUNNER" --bin "$FAKE" --filter 'nomatch*' --results "$work/none" > "$work/none.out" 2>&1
rc=$?
check filter_nothing_selected_fails test "$rc" -eq 1
check filter_nothing_summary last_line_is "$work/none.out" "0 passed, 0 failed"

# --- reseed: random tests run N times with distinct derived seeds, others once ---------------
res=$work/reseed
"$RUNNER" --bin "$FAKE" --filter 'fake.pass,fake.random' --reseed 4 --seed 7 -j 2 \
  --results "$res" > "$work/reseed.out" 2> "$work/reseed.err"
rc=$?
check reseed_all_pass_exit_0 test "$rc" -eq 0
check reseed_summary last_line_is "$work/reseed.out" "5 passed, 0 failed"
random_logs() { [ "$(ls "$res/logs" | grep -c '^fake\.random\.')" -eq 4 ]; }
check reseed_random_runs_4_times random_logs
check reseed_fixed_runs_once test "$(ls "$res/logs" | grep -c '^fake\.pass\.')" -eq 1
check reseed_base_seed_first test -s "$res/logs/fake.random.7.log"
check reseed_junit_names has "$res/junit.xml" '<testcase name="random[seed=7]" classname="fake"'

# the derived seeds follow the formula documented in docs/testing.md
mask64() { echo $(( $1 & 0xffffffffffffffff )); }
shr() { echo $(( ($1 >> $2) & ((1 << (64 - $2)) - 1) )); }  # logical shift right
fnv1a64() {
  local s=$1 h=$(( 0xcbf29ce484222325 )) i c
  for (( i = 0; i < ${#s}; i++ )); do
    c=$(printf '%d' "'${s:i:1}")
    h=$(( (h ^ c) * 0x100000001b3 ))
  done
  echo "$h"
}
mix64() {
  local z=$1
  z=$(( (z ^ $(shr "$z" 30)) * 0xbf58476d1ce4e5b9 ))
  z=$(( (z ^ $(shr "$z" 27)) * 0x94d049bb133111eb ))
  echo $(( (z ^ $(shr "$z" 31)) & 0xffffffff ))
}
expected_seeds() {  # base name n
  local base=$1 name=$2 n=$3 h k s out="$1"
  h=$(fnv1a64 "$name")
  for (( k = 1; k < n; k++ )); do
    s=$(mix64 $(( base ^ h ^ (k * 0x9e3779b97f4a7c15) )))
    out="$out $s"
  done
  echo "$out"
}
want=$(expected_seeds 7 fake.random 4)
"$RUNNER" --bin "$FAKE" --list --filter fake.random --reseed 4 --seed 7 > "$work/seeds.out"
got=$(cut -f2 "$work/seeds.out" | tr '\n' ' ' | sed 's/ $//')
check reseed_seed_formula test "$got" = "$want"
for s in $got; do
  if [ ! -s "$res/logs/fake.random.$s.log" ]; then want=missing; fi
done
check reseed_logs_per_seed test "$want" != missing

# --- launcher, max-cycles passthrough, errors -----------------------------------------------
res=$work/launch
"$RUNNER" --bin "$FAKE" --filter fake.pass --launcher 'env HBASIM_FAKE_LAUNCHED="via launcher"' \
  --max-cycles 99 --results "$res" -q > "$work/launch.out" 2>&1
rc=$?
check launcher_runs_test test "$rc" -eq 0
check launcher_prefix_used has "$res/logs/fake.pass.1.log" "launched: via launcher"
check max_cycles_passed has "$res/logs/fake.pass.1.log" "max-cycles 99"
check quiet_prints_summary last_line_is "$work/launch.out" "1 passed, 0 failed"

"$RUNNER" --bin "$work/no_such_binary" --results "$work/missing" > "$work/missing.out" 2>&1
rc=$?
check missing_binary_exit_2 test "$rc" -eq 2
check missing_binary_message has "$work/missing.out" "no_such_binary' not found"
"$RUNNER" --bin "$FAKE" --bogus > "$work/bogus.out" 2>&1
check unknown_option_exit_2 test "$?" -eq 2

# --- the test framework (tests/harness) with the fake sim, run through the runner ------------
FW=$work/fw
mkdir -p "$work/fwgen"
echo "SUITE(fw)" > "$work/fwgen/suites.def"
if $CC $CFLAGS -Itests/runner/fakesim -Itests/harness -I"$work/fwgen" -o "$FW" \
     tests/runner/harness_selftest.c tests/harness/test.c tests/harness/main.c \
     tests/runner/fakesim/sim.c; then
  check fw_builds true
else
  check fw_builds false
fi
res=$work/fwres
"$RUNNER" --bin "$FW" -j 2 --results "$res" --seed 5 > "$work/fw.out" 2>&1
check fw_summary last_line_is "$work/fw.out" "5 passed, 4 failed"
L=$res/logs
check fw_first_line has "$L/fw.pass_no_sim.5.log" "test fw.pass_no_sim seed 5"
check fw_pass_line_cycles has "$L/fw.pass_two_sims.5.log" "PASS fw.pass_two_sims (350 cycles)"
check fw_check_eq_hex_dec has "$L/fw.check_continues.5.log" \
  "cycle 10: CHECK_EQ(x, 0) failed: x = 0xffffffffffffffff (18446744073709551615 = -1), 0 = 0x0 (0) (+1 more failures)"
check fw_check_continues has "$L/fw.check_continues.5.log" "log: cycle 10: still running after two CHECKs"
check fw_require_eq_message has "$L/fw.require_stops.5.log" \
  "FAIL fw.require_stops: tests/runner/harness_selftest.c:40: cycle 77: REQUIRE_EQ(sim_cycle(s), 78) failed: sim_cycle(s) = 0x4d (77), 78 = 0x4e (78)"
check fw_require_stops sh -c "! grep -q 'not reached' '$L/fw.require_stops.5.log'"
check fw_require_ok_status has "$L/fw.require_ok_names_status.5.log" \
  "cycle 1000: REQUIRE_OK(sim_step(s, 5000)) failed: returned SIM_E_FAILED (-5)"
check fw_unexpected_error has "$L/fw.unexpected_error_fails.5.log" \
  "FAIL fw.unexpected_error_fails: unexpected sim error: cycle 3: planted W before AW"
check fw_expected_error_passes has "$L/fw.expected_error_passes.5.log" "PASS fw.expected_error_passes (3 cycles)"
check fw_early_destroy_cycles has "$L/fw.early_destroy.5.log" "PASS fw.early_destroy (42 cycles)"
# --max-cycles overrides the test's bound; --waves names the second sim's file x.2.fst
"$FW" --test fw.require_ok_names_status --max-cycles 3000 > "$work/fw_max.out" 2>&1
check fw_max_cycles_override has "$work/fw_max.out" "cycle 3000: REQUIRE_OK"
rm -f "$work"/w*.fst
"$FW" --test fw.pass_two_sims --waves "$work/w.fst" > "$work/fw_waves.out" 2>&1
check fw_waves_two_files test -s "$work/w.fst" -a -s "$work/w.2.fst"
check fw_waves_closed has "$work/w.2.fst" "closed at cycle 250"
"$FW" --test fw.require_stops --waves "$work/wf.fst" > /dev/null 2>&1
check fw_waves_closed_on_failure has "$work/wf.fst" "closed at cycle 77"
"$FW" --test fw.random_seed --seed 0x10 > "$work/fw_seed.out" 2>&1
check fw_seed_option has "$work/fw_seed.out" "test fw.random_seed seed 16"
list_ok() { "$FW" --list | awk -F'\t' 'NF != 4 { bad = 1 } END { exit bad }' &&
            "$FW" --list | grep -q $'^fw\\.random_seed\trandom\t0\t'; }
check fw_list_format list_ok
"$FW" > /dev/null 2>&1; r1=$?
"$FW" --test fw.no_such_test > /dev/null 2>&1; r2=$?
"$FW" --test fw.pass_no_sim --seed x > /dev/null 2>&1; r3=$?
check fw_usage_errors_exit_2 test "$r1$r2$r3" = 222

# --- the waves scripts, on a small FST made from a hand-written VCD ---------------------------
# (the real waves need the Verilated model: make waves TEST=...; here only the scripts)
wv=$work/waves
mkdir -p "$wv"
{
  printf '$timescale 1ps $end\n$scope module TOP $end\n$scope module soc_top $end\n'
  printf '$var wire 1 ! clk_i $end\n$var wire 1 " apb_psel_i $end\n'
  printf '$var wire 32 # apb_paddr_i [31:0] $end\n'
  printf '$scope module u_sysdma $end\n$scope module u_dma1 $end\n'
  printf '$var logic 64 $ cur_addr_q [63:0] $end\n'
  printf '$upscope $end\n$upscope $end\n$upscope $end\n$upscope $end\n$enddefinitions $end\n'
  bin() { local v=$1 b=""; while [ "$v" -gt 0 ]; do b=$((v % 2))$b; v=$((v / 2)); done; echo "${b:-0}"; }
  for i in $(seq 0 199); do
    printf '#%d\n%d!\n%d"\nb%s #\nb%s $\n' $((i * 10000)) $((i % 2)) $(( (i / 7) % 2 )) \
      "$(bin $((0x10000000 + i)))" "$(bin $((i * 3)))"
  done
} > "$wv/small.vcd"
vcd2fst "$wv/small.vcd" "$wv/small.fst" > /dev/null 2>&1
check waves_fst_made test -s "$wv/small.fst"
cat > "$wv/ok.gtkw" <<'EOF'
[size] 800 400
@800200
-small
@28
TOP.soc_top.clk_i
TOP.soc_top.apb_psel_i
@22
+{addr} TOP.soc_top.apb_paddr_i[31:0]
TOP.soc_top.u_sysdma.u_dma1.cur_addr_q[63:0]
@1000200
-small
EOF
check waves_check_gtkw_ok waves/check_gtkw.sh "$wv/small.fst" "$wv/ok.gtkw"
waves/check_gtkw.sh "$wv/small.fst" waves/sysdma.gtkw > "$wv/check.out" 2>&1
check waves_check_gtkw_finds_missing test $? -eq 1
check waves_check_gtkw_names_missing has "$wv/check.out" "missing: TOP.soc_top.u_sysdma.u_dma1.state_q[4:0]"
check waves_check_gtkw_not_missing sh -c "! grep -q 'apb_paddr_i' '$wv/check.out'"
printf 'test a.b seed 1\nFAIL a.b: x.c:1: cycle 60: CHECK(z) failed: z\n' > "$wv/fail.log"
waves/render.sh --marker 20:irq0 --fail-log "$wv/fail.log" "$wv/small.fst" "$wv/ok.gtkw" \
  "$wv/small.png" 0 1500 > "$wv/render.out" 2>&1
check waves_render_png sh -c "test \"\$(head -c 8 '$wv/small.png' | od -An -tx1 | tr -d ' ')\" = 89504e470d0a1a0a"
check waves_render_markers has "$wv/render.out" "6 traces, 2 markers"
waves/markers.sh "$wv/small.fst" "$wv/ok.gtkw" "$wv/marked.gtkw" 20:irq0 60:FAIL > /dev/null 2>&1
check waves_markers_times has "$wv/marked.gtkw" " 1200000 400000 1200000 -1 -1"
check waves_markers_names has "$wv/marked.gtkw" "[markername] BFAIL"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# make bench: the sysdma demonstration as a benchmark, without and with waves, so the cost of
# tracing shows (figures from the demo's own summary: simulated MB/s, cycles/s); then the HBA
# benchmark (tools/hba_bench.c, docs/bench.md): READ/WRITE x 4 KiB/64 KiB/1 MiB x subordinate/
# bus master x memory latency 0 and 8/8 cycles, against a disk target at its fastest handshake;
# then the whole driver stack on the subordinate and the bus-master path side by side
# (tools/stack_demo.c --bench): sequential 64 KiB I/Os and the main job's mixed workload
# (simulated MB/s, cycles and APB accesses per I/O, ISR latency, simulation speed with and
# without waves).
# Performance is reported against the goals (PASS / BELOW per row), not asserted: the exit
# status is non-zero only when a program fails (data miscompare, bad ending, harness error).
set -u
BUILD=${BUILD:-build}
SEED=${SEED:-1}
demo=$BUILD/rel/sysdma_demo
hba=$BUILD/rel/hba_bench
stack=$BUILD/rel/stack_demo
mkdir -p "$BUILD/bench"
rc=0
echo "== sysdma demonstration, waves off"
"$demo" --seed 1 | tee "$BUILD/bench/nowaves.txt" | tail -n 8
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
echo "== sysdma demonstration, waves on ($BUILD/bench/demo.fst)"
"$demo" --seed 1 --waves "$BUILD/bench/demo.fst" | tee "$BUILD/bench/waves.txt" | tail -n 8
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
echo "== HBA: end-to-end rate against the SCSI bus limit, AXI beats per cycle, cycles per SG"
echo "   descriptor (definitions: docs/bench.md; CSV: $BUILD/bench/hba.csv)"
echo "   goals: bus fraction (end to end) >= 95% for 64 KiB and 1 MiB, column 'bus';"
echo "          >= 0.90 AXI beats per cycle while a burst is in flight (bus master), column 'axi'"
"$hba" --seed "$SEED" --quiet --csv "$BUILD/bench/hba.csv" | tee "$BUILD/bench/hba.txt"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
below=$(grep -c 'BELOW' "$BUILD/bench/hba.txt")
echo "HBA rows below a goal: $below (reported, not a failure)"
echo "== the whole stack, subordinate path (SCSI Port, hbasub, 8237) and bus-master path"
echo "   (Storport, hbabm, the HBA's scatter/gather engine) side by side (tools/stack_demo.c):"
echo "   sequential 64 KiB I/Os on a disk without medium timing, alternating WRITE and READ;"
echo "   figures over the I/Os (bring-up and scan excluded); each path is run a second time with"
echo "   waves on for the bring-up and the first 4 I/Os, against the same stretch untraced"
"$stack" --seed "$SEED" --ios 16 --sequential 128 --bench --quiet \
  | tee "$BUILD/bench/stack_seq.txt" | sed -n '/== side by side/,$p'
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
echo "== the main job's mixed workload (make run) on both paths, as a benchmark"
"$stack" --seed "$SEED" --bench --quiet | tee "$BUILD/bench/stack_mixed.txt" \
  | sed -n '/== side by side/,$p'
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
exit $rc

#!/usr/bin/env bash
# make bench: the sysdma demonstration as a benchmark, without and with waves, so the cost of
# tracing shows (figures from the demo's own summary: simulated MB/s, cycles/s); then the HBA
# benchmark (tools/hba_bench.c, docs/bench.md): READ/WRITE x 4 KiB/64 KiB/1 MiB x subordinate/
# bus master x memory latency 0 and 8/8 cycles, against a disk target at its fastest handshake;
# then the subordinate path through the whole driver stack (tools/stack_demo.c): sequential
# 64 KiB I/Os and the main job's mixed workload (simulated MB/s, ISR latency, 8237 programming
# cost per I/O, simulation speed).
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
echo "== the subordinate path through the whole stack (class -> SCSI Port -> HAL/8237 -> HBA)"
echo "   sequential 64 KiB I/Os on a disk without medium timing, alternating WRITE and READ"
"$stack" --seed "$SEED" --ios 16 --sequential 128 --quiet | tee "$BUILD/bench/stack_seq.txt" \
  | grep -E 'I/Os|bytes|cycles|throughput|interrupts|DMA mapping|miniport|simulation|result'
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
echo "== the main job's mixed workload (make run), as a benchmark"
"$stack" --seed "$SEED" --quiet | tee "$BUILD/bench/stack_mixed.txt" \
  | grep -E 'I/Os|bytes|cycles|throughput|interrupts|DMA mapping|miniport|simulation|result'
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
exit $rc

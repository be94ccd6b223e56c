#!/usr/bin/env bash
# make bench: the sysdma demonstration as a benchmark, without and with waves, so the cost of
# tracing shows. Figures come from the demo's own summary (simulated MB/s, cycles/s).
set -u
BUILD=${BUILD:-build}
demo=$BUILD/rel/sysdma_demo
mkdir -p "$BUILD/bench"
echo "== sysdma demonstration, waves off"
"$demo" --seed 1 | tee "$BUILD/bench/nowaves.txt" | tail -n 8
echo "== sysdma demonstration, waves on ($BUILD/bench/demo.fst)"
"$demo" --seed 1 --waves "$BUILD/bench/demo.fst" | tee "$BUILD/bench/waves.txt" | tail -n 8

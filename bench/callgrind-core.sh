#!/bin/bash
# Instructions the routing engine executes per decision in `acd-bench core`, exactly (callgrind), for comparing
# versions on a noisy machine. Counts only inside RoutingEngine.handle (accepts included) and takes the
# difference between a 200,000- and a 100,000-decision run, so that the scenario's setup cancels out.
# With --cache, callgrind also simulates the caches, the last level as this machine's per-core L2 (1 MiB, 8-way):
# its misses are the reads that go on to the shared L3 or to memory, tens of cycles each, which instruction
# counts do not show. Slower (about 3 minutes), and as repeatable; its instruction count reads about 0.2 % below
# the plain run's, so compare instruction counts between runs of the same mode. Huge pages stay off: callgrind
# simulates no TLB, and the benchmark would otherwise start itself again outside valgrind. So does
# `RoutingEngine.prepare`: its reads fall outside `handle`, and callgrind does not model the loads it starts early,
# so with it the counts would drop without a cycle saved.
#   bench/callgrind-core.sh [--cache] [extra acd-bench core flags, e.g. --no-relaxation]
set -euo pipefail
cd "$(dirname "$0")/.."
cache=()
if [ "${1:-}" = --cache ]; then
  cache=(--cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,8,64)
  shift
fi
swift build -c release --product acd-bench >/dev/null
binary=$(mktemp)
objcopy --strip-debug .build/release/acd-bench "$binary"  # valgrind 3.19 cannot read Swift 6's DWARF 5
symbol='$s11RoutingCore0A6EngineV6handle_3now4intoyAA7CommandOn_AA7InstantVSayAA5EventVGztF'
# The totals: Ir alone, or with --cache Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw.
count() {
  valgrind --tool=callgrind "${cache[@]}" --collect-atstart=no "--toggle-collect=$symbol" \
    --callgrind-out-file="$binary.$1.out" "$binary" core --no-huge-pages --no-prepare --decisions "$1" "${@:2}" >/dev/null 2>&1
  callgrind_annotate "$binary.$1.out" |
    awk '/PROGRAM TOTALS/ { for (i = 1; 2 * i < NF - 1; i++) { v = $(2 * i - 1); gsub(",", "", v); printf "%s ", v }; print "" }'
}
small=($(count 100000 "$@"))
large=($(count 200000 "$@"))
# Per decision: the difference of the counts at the given indexes, summed.
per() {
  local total=0 i
  for i in "$@"; do total=$(( total + large[i] - small[i] )); done
  awk -v total="$total" 'BEGIN { printf "%.1f", total / 100000 }'
}
echo "instructions per decision in RoutingEngine.handle: $(per 0)"
if [ ${#cache[@]} -gt 0 ]; then
  echo "misses per decision: L1 instruction $(per 3), L1 data $(per 4 5), L2 data $(per 7 8)"
fi
echo "profiles: $binary.100000.out $binary.200000.out (callgrind_annotate --inclusive=yes ...)"

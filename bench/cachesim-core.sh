#!/bin/bash
# Cache misses per decision inside RoutingEngine.handle in `acd-bench core`, from callgrind's cache simulation:
# exactly repeatable, where the wall clock of this VM varies by 30 % between identical runs. The last level is
# simulated as this machine's per-core L2 (1 MiB, 8-way), so its misses are the reads that go to the shared L3
# or to memory: tens of cycles each, the cost that instruction counts do not show. As in callgrind-core.sh, the
# figure is the difference between a 200,000- and a 100,000-decision run, so the scenario's setup cancels out.
#   bench/cachesim-core.sh [extra acd-bench core flags, e.g. --no-relaxation]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product acd-bench >/dev/null
binary=$(mktemp)
objcopy --strip-debug .build/release/acd-bench "$binary"  # valgrind 3.19 cannot read Swift 6's DWARF 5
symbol='$s11RoutingCore0A6EngineV6handle_3now4intoyAA7CommandOn_AA7InstantVSayAA5EventVGztF'
# Prints the totals line's nine counts: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw.
count() {
  valgrind --tool=callgrind --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,8,64 \
    --collect-atstart=no "--toggle-collect=$symbol" --callgrind-out-file="$binary.$1.out" \
    "$binary" core --decisions "$1" "${@:2}" >/dev/null 2>&1
  callgrind_annotate "$binary.$1.out" | awk '/PROGRAM TOTALS/ { for (i = 1; i <= 9; i++) { v = $(2 * i - 1); gsub(",", "", v); printf "%s ", v }; print "" }'
}
small=($(count 100000 "$@"))
large=($(count 200000 "$@"))
per() { awk -v a="$(( small[$1] + ${3:-0} ))" -v b="$(( large[$1] + ${2:-0} ))" 'BEGIN { printf "%.1f", (b - a) / 100000 }'; }
echo "per decision in RoutingEngine.handle: instructions $(per 0), L1 instruction misses $(per 3)," \
  "L1 data misses $(per 4 "${large[5]}" "${small[5]}"), L2 data misses $(per 7 "${large[8]}" "${small[8]}")"
echo "profiles: $binary.100000.out $binary.200000.out (callgrind_annotate ...)"

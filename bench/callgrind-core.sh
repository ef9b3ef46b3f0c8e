#!/bin/bash
# Instructions the routing engine executes per decision in `acd-bench core`, exactly (callgrind), for comparing
# versions on a noisy machine. Counts only inside RoutingEngine.handle (accepts included) and takes the
# difference between a 200,000- and a 100,000-decision run, so that the scenario's setup cancels out.
#   bench/callgrind-core.sh [extra acd-bench core flags, e.g. --no-relaxation]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product acd-bench >/dev/null
binary=$(mktemp)
objcopy --strip-debug .build/release/acd-bench "$binary"  # valgrind 3.19 cannot read Swift 6's DWARF 5
symbol='$s11RoutingCore0A6EngineV6handle_3now4intoyAA7CommandOn_AA7InstantVSayAA5EventVGztF'
count() {
  valgrind --tool=callgrind --collect-atstart=no "--toggle-collect=$symbol" --callgrind-out-file="$binary.$1.out" \
    "$binary" core --decisions "$1" "${@:2}" 2>&1 | awk '/refs:/ { gsub(",", "", $4); print $4 }'
}
small=$(count 100000 "$@")
large=$(count 200000 "$@")
echo "instructions per decision in RoutingEngine.handle: $(( (large - small) / 100000 ))"
echo "profiles: $binary.100000.out $binary.200000.out (callgrind_annotate --inclusive=yes ...)"

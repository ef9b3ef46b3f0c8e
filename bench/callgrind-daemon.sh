#!/bin/bash
# Instructions the daemon's routing thread executes per contact, counted by callgrind inside
# RoutingDaemon.serveOnce while `acd-bench e2e` loads it past what it can serve under valgrind (about a
# thousand contacts a second), so that its turns batch requests as they do at full speed. The load is the same
# each run but the count of contacts served in the time is not, so compare the figure per contact, and only
# between runs on the same machine.
#   bench/callgrind-daemon.sh [rate, default 2500] [seconds, default 6]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2500}
seconds=${2:-6}
swift build -c release --product acdd >/dev/null
swift build -c release --product acd-bench >/dev/null
dir=$(mktemp -d)
objcopy --strip-debug .build/release/acdd "$dir/acdd.real"  # valgrind 3.19 cannot read Swift 6's DWARF 5
cp .build/release/acd-bench "$dir/"
symbol='$s9ACDDaemon13RoutingDaemonC9serveOnce23maximumWaitMillisecondsySi_tKF'
# acd-bench starts the acdd beside it: here, valgrind running the real one.
cat >"$dir/acdd" <<EOF
#!/bin/bash
exec valgrind --tool=callgrind --collect-atstart=no '--toggle-collect=$symbol' --callgrind-out-file=$dir/daemon.out \
  $dir/acdd.real "\$@" 2>>$dir/valgrind.log
EOF
chmod +x "$dir/acdd"
handled=$("$dir/acd-bench" e2e --fixed-rate "$rate" --latency-run "$seconds" 2>&1 | sed -n 's/.*handled \([0-9]*\)\/.*/\1/p')
total=$(callgrind_annotate "$dir/daemon.out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "contacts served: $handled; instructions per contact on the routing thread: $((total / handled))"
callgrind_annotate --inclusive=yes "$dir/daemon.out" | swift demangle --simplified |
  grep -E '\?\?\?:(RoutingEngine\.handle|static EventEncoder\.encode|RoutingDaemon\.sendOutbox|ZMQSocket\.receive|static ZMQPoller\.poll|RoutingDaemon\.publish)\(' |
  sed -E 's/^ *([0-9,]+) .*\?\?\?:(.*) \[.*$/\1 \2/' | tr -d , |
  awk -v n="$handled" '{ count = $1; $1 = ""; printf "  %-44s %7d per contact\n", substr($0, 2), count / n }'
echo "profile: $dir/daemon.out (callgrind_annotate --inclusive=yes ...)"

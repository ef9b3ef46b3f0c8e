#!/bin/bash
# Instructions the daemon's routing thread executes per contact, counted by callgrind inside
# RoutingDaemon.serveOnce while `acd-bench e2e` loads it past what it can serve under valgrind (about a
# thousand contacts a second), so that its turns batch requests as they do at full speed. Compare the figure per
# submitted contact (every contact of the run passes through the counted function), and only between runs on the
# same machine.
#   bench/callgrind-daemon.sh [rate, default 2500] [seconds, default 6] [--crm: with the in-process CRM store]
set -euo pipefail
cd "$(dirname "$0")/.."
positional=()
store=()
for argument in "$@"; do
  if [ "$argument" = --crm ]; then store=(--crm); else positional+=("$argument"); fi
done
rate=${positional[0]:-2500}
seconds=${positional[1]:-6}
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
handled=$("$dir/acd-bench" e2e --fixed-rate "$rate" --latency-run "$seconds" "${store[@]}" 2>&1 | sed -n 's/.*handled \([0-9]*\)\/.*/\1/p')
total=$(callgrind_annotate "$dir/daemon.out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
# Every contact the generator submitted while callgrind counted, measured or not: how many were served inside the
# measured window varies from run to run (9,500-10,100 of 15,001), the contacts submitted do not.
submitted=$(awk '
  /^c?fn=/ {
    spec = $0; sub(/^c?fn=/, "", spec)
    if (match(spec, /^\([0-9]+\) /)) { id = substr(spec, 1, RLENGTH - 1); names[id] = substr(spec, RLENGTH + 1) } else { id = spec }
    if ($0 ~ /^cfn=/) callee = (id in names) ? names[id] : id
  }
  /^calls=/ { if (callee ~ /EngineV6submity/) { split(substr($0, 7), calls, " "); n += calls[1] } }
  END { print n + 0 }' "$dir/daemon.out")
echo "contacts submitted: $submitted; instructions per submitted contact on the routing thread: $((total / submitted))"
echo "contacts served in the measured window: $handled; instructions per served contact: $((total / handled))"
callgrind_annotate --inclusive=yes "$dir/daemon.out" | swift demangle --simplified |
  grep -E '\?\?\?:(RoutingEngine\.handle|static EventEncoder\.encode|RoutingDaemon\.sendOutbox|ZMQSocket\.receive|static ZMQPoller\.poll|RoutingDaemon\.publish)\(' |
  sed -E 's/^ *([0-9,]+) .*\?\?\?:(.*) \[.*$/\1 \2/' | tr -d , |
  awk -v n="$submitted" '{ count = $1; $1 = ""; printf "  %-44s %7d per contact\n", substr($0, 2), count / n }'
echo "profile: $dir/daemon.out (callgrind_annotate --inclusive=yes ...)"

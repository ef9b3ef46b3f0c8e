#!/bin/bash
# CPU (user and system) and context switches per second of every thread of acdd and of the load generator, over
# a window of a fixed-rate run, read from /proc: where the two cores go, and which thread is preempted how often.
#   bench/thread-cpu.sh RATE [--crm | --relay]     (builds nothing: run `swift build -c release` for acdd and acd-bench first)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:?usage: bench/thread-cpu.sh RATE [--crm | --relay]}
shift
snapshot() {
  for pid in $(ps -eo pid,args | awk '/release\/acdd run|release\/acd-bench (e2e|relay)/ && !/awk/ { print $1 }'); do
    for task in /proc/"$pid"/task/*; do
      # Fields after the command name: utime and stime are the 12th and 13th (clock ticks).
      read -r stat < "$task/stat" || continue
      set -- ${stat#*) }
      echo "$pid/$(basename "$task") $(tr ' ' '_' < "$task/comm") ${12} ${13}" \
        "$(awk '/^voluntary_ctxt/ { v = $2 } /^nonvoluntary_ctxt/ { n = $2 } END { print v, n }' "$task/status")"
    done
  done | sort
}
window=4
(
  sleep 6
  snapshot > /tmp/thread-cpu.before
  sleep "$window"
  snapshot > /tmp/thread-cpu.after
) &
.build/release/acd-bench e2e --fixed-rate "$rate" --latency-run 12 "$@" | grep -E 'handled|daemon'
wait
ticks=$(getconf CLK_TCK)
echo "per thread over ${window} s (process/thread name: CPU user + system, voluntary / involuntary switches a second):"
join /tmp/thread-cpu.before /tmp/thread-cpu.after | awk -v d="$window" -v t="$ticks" '{
  usr = ($8 - $3) / t / d; sys = ($9 - $4) / t / d
  if (usr + sys >= 0.01) printf "  %-16s %-14s %.2f + %.2f   %6d / %6d\n", $1, $2, usr, sys, ($10 - $5) / d, ($11 - $6) / d }'

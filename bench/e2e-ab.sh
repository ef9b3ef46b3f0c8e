#!/bin/bash
# Two builds of acdd and acd-bench compared by full `acd-bench e2e` runs in alternation (A, B, A, B, ...), so that
# the VM's drift falls on both alike: on this VM one build's store cost moves from 0 to 40 % from run to run, and
# runs an hour apart compare with nothing. Each run's figures are printed as it ends, then each build's medians.
#   bench/e2e-ab.sh DIR_A DIR_B [PAIRS]     (each DIR holds an `acdd` and an `acd-bench` built with `-c release`;
#                                            PAIRS defaults to 5, about 2.5 minutes a run on this VM)
# A build is copied out of `.build/release` to keep it: `mkdir /tmp/a && cp .build/release/{acdd,acd-bench} /tmp/a`.
# The runs' own output is kept in $E2E_AB_OUT (default /tmp/e2e-ab), one file a run.
set -euo pipefail
cd "$(dirname "$0")/.."
first=${1:?usage: bench/e2e-ab.sh DIR_A DIR_B [PAIRS]}
second=${2:?usage: bench/e2e-ab.sh DIR_A DIR_B [PAIRS]}
pairs=${3:-5}
out=${E2E_AB_OUT:-/tmp/e2e-ab}
mkdir -p "$out"
for dir in "$first" "$second"; do
  [ -x "$dir/acdd" ] && [ -x "$dir/acd-bench" ] || { echo "$dir has no acdd and acd-bench" >&2; exit 1; }
done

# The number at `key` in the run's last line (its JSON; the first of a list), or -1.
figure() {
  tail -n 1 "$1" | grep -o "\"$2\":\[\?[0-9.-]*" | head -n 1 | cut -d: -f2 | tr -d '[' | grep . || echo -1
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "build run: store on / store off / relay contacts/s, the store's cost %, memory probe ns"
for pair in $(seq "$pairs"); do
  for build in A B; do
    dir=$first; [ "$build" = B ] && dir=$second
    run="$out/$build-$pair.txt"
    "$dir/acd-bench" e2e > "$run" 2>&1 || { echo "$build $pair failed: see $run" >&2; exit 1; }
    echo "$build $pair: $(figure "$run" on_contacts_per_sec) / $(figure "$run" off_contacts_per_sec)" \
      "/ $(figure "$run" relay_contacts_per_sec), $(figure "$run" cost_percent) %, $(figure "$run" memory_latency_ns) ns" \
      | tee -a "$out/summary.txt"
  done
done

echo "medians over $pairs runs each (store on / store off / relay, cost):"
for build in A B; do
  medians=()
  for key in on_contacts_per_sec off_contacts_per_sec relay_contacts_per_sec cost_percent; do
    medians+=("$(for pair in $(seq "$pairs"); do figure "$out/$build-$pair.txt" "$key"; done | median)")
  done
  dir=$first; [ "$build" = B ] && dir=$second
  echo "  $build ($dir): ${medians[0]} / ${medians[1]} / ${medians[2]}, ${medians[3]} %"
done

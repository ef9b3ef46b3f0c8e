#!/bin/bash
# Two builds of acdd and acd-bench compared by full `acd-bench e2e` runs in alternation (A, B, A, B, ...), so that
# the VM's drift falls on both alike: on this VM one build's store cost moves from 0 to 40 % from run to run, and
# runs an hour apart compare with nothing. Each run's figures are printed as it ends, then each build's medians.
#   bench/e2e-ab.sh DIR_A DIR_B [PAIRS]     (each DIR holds an `acdd` and an `acd-bench` built with `-c release`;
#                                            PAIRS defaults to 5, about 2.5 minutes a run on this VM)
# A build is copied out of `.build/release` to keep it: `mkdir /tmp/a && cp .build/release/{acdd,acd-bench} /tmp/a`.
# `acd-bench` reads bench/rules/e2e.yaml from the source tree it was built in, so an older build's tree (a worktree
# of its commit) must stay until its runs are done.
# The runs' own output is kept in $E2E_AB_OUT (default /tmp/e2e-ab), one file a run.
set -euo pipefail
cd "$(dirname "$0")/.."
first=${1:?usage: bench/e2e-ab.sh DIR_A DIR_B [PAIRS]}
second=${2:?usage: bench/e2e-ab.sh DIR_A DIR_B [PAIRS]}
pairs=${3:-5}
out=${E2E_AB_OUT:-/tmp/e2e-ab}
mkdir -p "$out"
: > "$out/summary.txt"
for dir in "$first" "$second"; do
  [ -x "$dir/acdd" ] && [ -x "$dir/acd-bench" ] || { echo "$dir has no acdd and acd-bench" >&2; exit 1; }
done

# The number at `key` in the run's last line (its JSON; the first of a list), or -1.
figure() {
  tail -n 1 "$1" | grep -o "\"$2\":\[\?[0-9.-]*" | head -n 1 | cut -d: -f2 | tr -d '[' | grep . || echo -1
}

# The daemon's CPU a contact with the store on less with it off, both at the run's common rate (`same_rate`).
store_adds() {
  awk -v on="$(figure "$1" store_on)" -v off="$(figure "$1" store_off)" 'BEGIN { printf "%.1f\n", on - off }'
}

# The directory of build A or B.
build_dir() {
  if [ "$1" = A ]; then echo "$first"; else echo "$second"; fi
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "build run: store on / store off / relay contacts/s, the store's cost %, the CPU the store adds a contact at"
echo "the common rate (the daemon's with the store on less with it off), memory probe ns"
for pair in $(seq "$pairs"); do
  for build in A B; do
    run="$out/$build-$pair.txt"
    "$(build_dir "$build")/acd-bench" e2e > "$run" 2>&1 || { echo "$build $pair failed: see $run" >&2; exit 1; }
    echo "$build $pair: $(figure "$run" on_contacts_per_sec) / $(figure "$run" off_contacts_per_sec)" \
      "/ $(figure "$run" relay_contacts_per_sec), $(figure "$run" cost_percent) %, $(store_adds "$run") us," \
      "$(figure "$run" memory_latency_ns) ns" | tee -a "$out/summary.txt"
  done
done

echo "medians over $pairs runs each (store on / store off / relay, cost, the CPU the store adds):"
for build in A B; do
  medians=()
  for key in on_contacts_per_sec off_contacts_per_sec relay_contacts_per_sec cost_percent; do
    medians+=("$(for pair in $(seq "$pairs"); do figure "$out/$build-$pair.txt" "$key"; done | median)")
  done
  adds=$(for pair in $(seq "$pairs"); do store_adds "$out/$build-$pair.txt"; done | median)
  echo "  $build ($(build_dir "$build")): ${medians[0]} / ${medians[1]} / ${medians[2]}, ${medians[3]} %, $adds us"
done

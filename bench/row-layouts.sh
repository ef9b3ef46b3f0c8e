#!/bin/bash
# SQLite alone inserting call cards laid out as `interactions` is and as it could be (bench/row-layouts.c): CPU per
# row, pages, bytes per row. Needs gcc and libsqlite3-dev; builds nothing of the package.
#   bench/row-layouts.sh [rows, default 400000] [layout...]
#     layouts: current untyped auto-key compact-typed compact no-time-index narrow
#   ROW_LAYOUTS_CALLGRIND=1 bench/row-layouts.sh 100000 current   the same under callgrind: instructions per row
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-400000}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/row-layouts" bench/row-layouts.c -lsqlite3
if [ -n "${ROW_LAYOUTS_CALLGRIND:-}" ]; then
  for layout in "${@:-current}"; do
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$work/row-layouts" "$work" "$rows" "$layout" \
      2>"$work/valgrind.log"
    total=$(awk '/refs:/ { gsub(",", "", $NF); print $NF }' "$work/valgrind.log")
    echo "$layout: $((total / rows)) instructions a row (the whole program, $rows rows)"
  done
else
  "$work/row-layouts" "$work" "$rows" "$@"
fi

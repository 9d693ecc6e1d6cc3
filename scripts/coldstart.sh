#!/usr/bin/env bash
# Measures kapbook's cold start on a database of 100,000 appointments under
# Xvfb: from starting the process to the first frame drawn on the screen,
# and to the screen settled with the first view's data (the last change
# within 3 s of the first frame), as scripts/firstframe reads them off the
# X display; and, as the app itself reports, until the first view's data
# has loaded. Five runs, each with fresh Fyne settings; the median is the
# figure (target: at most 1.5 s).
#
#   scripts/coldstart.sh [RUNS]
#
# The database is built once (about ten minutes on two cores: every
# appointment is checked against the others as it is stored) and kept in
# bin/coldstart-100k.db; delete it to build it again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
runs=${1:-5}

command -v xvfb-run >/dev/null || { echo "coldstart: xvfb-run not found; run: scripts/deps.sh test" >&2; exit 1; }
go build -o bin/kapbook .
go build -o bin/firstframe ./scripts/firstframe
db=bin/coldstart-100k.db
if [ ! -s "$db" ]; then
  rm -f "$db" "$db-wal" "$db-shm"
  CGO_ENABLED=0 go run ./scripts/bigdb -out "$db" -appointments 100000
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
  tmp=$1 db=$2 runs=$3
  for i in $(seq "$runs"); do
    d=$tmp/run$i; mkdir -p "$d/config" "$d/cache" "$d/data"
    XDG_CONFIG_HOME=$d/config XDG_CACHE_HOME=$d/cache XDG_DATA_HOME=$d/data LANG=en_US.UTF-8 \
      timeout 60 bin/firstframe -settle 3s -- bin/kapbook --db "$db" --startup-time --quit-after 6s 2>/dev/null
    sleep 0.5
  done
' _ "$tmp" "$db" "$runs" | tee "$tmp/out"

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) exit 1; print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
first=$(sed -n 's/^firstframe: first frame \([0-9]*\) ms.*/\1/p' "$tmp/out" | median)
settled=$(sed -n 's/.*settled \([0-9]*\) ms.*/\1/p' "$tmp/out" | median)
loaded=$(sed -n 's/^startup: loaded \([0-9]*\) ms.*/\1/p' "$tmp/out" | median)
echo "coldstart: median of $runs runs, 100,000 appointments: first frame $first ms, settled $settled ms, data loaded $loaded ms (target: 1500 ms)"

#!/usr/bin/env bash
# Two desktop apps, each in a real window under its own Xvfb screen, on one
# PostgreSQL database (a throwaway server, scripts/pg-local.sh). Desk 1
# books a series through its Book screen with a real mouse and keyboard
# (xdotool); desk 2's week on the Schedule shows it without a click. Then a
# third desk (kapctl) books, and both apps show that. Checked by
# screenshots: each screen stays the same while nothing happens, and
# changes within three seconds of a booking. Part of make test
# (docs/operations.md, "Several workstations").
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

result() { echo "two-desks: $*"; }
fail() { echo "two-desks: FAIL: $*" >&2; result "0 passed, 1 failed"; exit 1; }
skip() {
  [ "${KAPBOOK_REQUIRE_PEERS:-}" = 1 ] && fail "$* (KAPBOOK_REQUIRE_PEERS=1)"
  echo "two-desks: skipped: $*"; result "0 passed, 0 failed, 1 skipped"; exit 0
}
for tool in Xvfb xdotool /usr/bin/import /usr/bin/convert /usr/bin/compare; do
  command -v "$tool" >/dev/null || skip "$tool not found; run: scripts/deps.sh test"
done
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || skip "PostgreSQL not found; run: scripts/deps.sh test"

go build -o bin/kapbook .
CGO_ENABLED=0 go build -o bin/kapctl ./cmd/kapctl

tmp=$(mktemp -d /tmp/kapbook-desks-XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  bash scripts/pg-local.sh stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=$(bash scripts/pg-local.sh start "$tmp/pg" "$port" | tail -n 1)
now=2027-03-01T07:30:00-05:00
bin/kapctl --db "$url" --now 2027-02-28T09:00:00-05:00 init --demo --with-patients 6 >/dev/null
bin/kapctl --db "$url" patient add --name "Robin Park" --email robin@example.org >/dev/null
patient=$(bin/kapctl --db "$url" --json patient add --name "Sasha Lee" --email sasha@example.org | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# One Xvfb screen and one app per desk, each with its own home folders.
for desk in 1 2; do
  d=$tmp/desk$desk
  mkdir -p "$d/config" "$d/cache" "$d/data"
  Xvfb ":$((90 + desk))" -screen 0 1280x800x24 -nolisten tcp >"$d/xvfb.log" 2>&1 &
  pids+=($!)
done
sleep 1
for desk in 1 2; do
  d=$tmp/desk$desk
  DISPLAY=":$((90 + desk))" XDG_CONFIG_HOME=$d/config XDG_CACHE_HOME=$d/cache XDG_DATA_HOME=$d/data \
    KAPBOOK_NOW=$now LANG=en_US.UTF-8 bin/kapbook --db "$url" --quit-after 60s >"$d/app.log" 2>&1 &
  pids+=($!)
done

shot() { DISPLAY=":$((90 + $1))" /usr/bin/import -window root "$tmp/desk$1/$2.png" 2>>"$tmp/import.log"; }
# Only the screens' content counts: the status line below it changes on
# its own (email sent, the clock).
differ() {
  /usr/bin/convert "$1" -crop 1280x720+0+0 +repage "$1.content.png"
  /usr/bin/convert "$2" -crop 1280x720+0+0 +repage "$2.content.png"
  [ "$(/usr/bin/compare -metric AE "$1.content.png" "$2.content.png" null: 2>&1 || true)" != 0 ]
}

# xd DESK ARGS... drives desk DESK's window with xdotool.
xd() { local d=$1; shift; DISPLAY=":$((90 + d))" xdotool "$@"; }
click() { xd "$1" mousemove "$2" "$3" click 1; sleep 1; }

sleep 8 # both windows up, their first screens drawn
click 2 67 89 # desk 2 opens the Schedule: this week
sleep 2
for desk in 1 2; do shot "$desk" before; done
sleep 2
for desk in 1 2; do
  shot "$desk" still
  differ "$tmp/desk$desk/before.png" "$tmp/desk$desk/still.png" &&
    fail "desk $desk's screen changed while nothing happened; the comparison would prove nothing"
done

# Desk 1 books Robin Park's series on its Book screen: Ctrl+N, the
# patient's name and Enter, the protocol from the list, Propose, Book.
w=$(xd 1 search --name kapbook | head -n 1)
xd 1 windowactivate --sync "$w" >/dev/null 2>&1 || true
xd 1 key --window "$w" ctrl+n; sleep 1
xd 1 type --delay 40 Robin; sleep 1
xd 1 key Return; sleep 1.5
click 1 339 377          # the protocol list
click 1 260 490          # KAP standard
click 1 339 709; sleep 1 # Propose
shot 1 proposed
click 1 630 709          # Book 15 appointments
sleep 3
bin/kapctl --db "$url" --json agenda --from 2027-03-01 --to 2027-06-30 --patient 7 >"$tmp/desk1-booked.json" || true # Robin Park
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/desk1-booked.json" 2>/dev/null || echo 0)
[ "$n" = 15 ] || { cat "$tmp/desk1/app.log" >&2; fail "desk 1's Book screen booked $n appointments, want 15 (see $tmp/desk1/proposed.png)"; }
shot 2 after1
differ "$tmp/desk2/still.png" "$tmp/desk2/after1.png" ||
  { cat "$tmp/desk2/app.log" >&2; fail "desk 2's schedule did not show desk 1's booking within 3 seconds"; }

# The third desk books Sasha Lee's consultation for this morning; desk 1
# is back on Today (Ctrl+T).
xd 1 key --window "$w" ctrl+t; sleep 2
for desk in 1 2; do shot "$desk" before3; done
bin/kapctl --db "$url" --now "$now" --as "Desk 3" book --patient "$patient" --protocol kap-standard \
  --step consultation --from 2027-03-01 >"$tmp/book.log" || { cat "$tmp/book.log" >&2; fail "the booking failed"; }
sleep 3
for desk in 1 2; do
  shot "$desk" after3
  differ "$tmp/desk$desk/before3.png" "$tmp/desk$desk/after3.png" ||
    { cat "$tmp/desk$desk/app.log" >&2; fail "desk $desk did not show the third desk's booking within 3 seconds"; }
  grep -qi panic "$tmp/desk$desk/app.log" && { cat "$tmp/desk$desk/app.log" >&2; fail "desk $desk panicked"; }
done
if [ -n "${KAPBOOK_SHOTS:-}" ]; then for d in 1 2; do for f in "$tmp"/desk$d/*.png; do cp "$f" "$KAPBOOK_SHOTS/desk$d-$(basename "$f")"; done; done; fi
result "1 passed, 0 failed"

#!/usr/bin/env bash
# make ux: the desktop app in a real window under Xvfb, on a fresh demo
# clinic, driven with xdotool as a front-desk person would: book a series
# for an existing patient from the keyboard, count the actions it took,
# and check in the database that the series was booked. Fails above
# UX_MAX_ACTIONS (5; issue 14's goal). Part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
max=${UX_MAX_ACTIONS:-5}

result() { echo "ux: $*"; }
fail() { echo "ux: FAIL: $*" >&2; result "0 passed, 1 failed"; exit 1; }
skip() {
  [ "${KAPBOOK_REQUIRE_PEERS:-}" = 1 ] && fail "$* (KAPBOOK_REQUIRE_PEERS=1)"
  echo "ux: skipped: $*"; result "0 passed, 0 failed, 1 skipped"; exit 0
}
for tool in Xvfb xdotool /usr/bin/import; do
  command -v "$tool" >/dev/null || skip "$tool not found; run: scripts/deps.sh test"
done

go build -o bin/kapbook .
CGO_ENABLED=0 go build -o bin/kapctl ./cmd/kapctl

tmp=$(mktemp -d /tmp/kapbook-ux-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

db=$tmp/clinic.db
now=2027-03-01T08:30:00-05:00
bin/kapctl --db "$db" --now 2027-02-28T09:00:00-05:00 init --demo --with-patients 6 >/dev/null
patient=$(bin/kapctl --db "$db" --json patient add --name "Robin Park" --email robin@example.org |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

display=:97
mkdir -p "$tmp/config" "$tmp/cache" "$tmp/data"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
sleep 1
DISPLAY=$display XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data \
  KAPBOOK_NOW=$now LANG=en_US.UTF-8 bin/kapbook --db "$db" --quit-after 90s >"$tmp/app.log" 2>&1 &
pids+=($!)

xd() { DISPLAY=$display xdotool "$@"; }
w=""
for _ in $(seq 1 40); do
  w=$(xd search --name kapbook 2>/dev/null | head -n 1 || true)
  [ -n "$w" ] && break
  sleep 0.5
done
[ -n "$w" ] || { cat "$tmp/app.log" >&2; fail "the window did not open"; }
sleep 5 # the first screen drawn
xd windowactivate --sync "$w" >/dev/null 2>&1 || true

# act counts one action of the front-desk person: a key, a typed word, a
# click. Waiting for the screen is not an action.
actions=0
act() { actions=$((actions + 1)); xd "$@"; sleep 1.5; }
act key --window "$w" ctrl+n      # Book a series, from anywhere
act type --delay 40 "Robin"       # part of the patient's name
act key Return                    # the first match, with their usual protocol
act key Return                    # propose
DISPLAY=$display /usr/bin/import -window root "$tmp/proposed.png" 2>/dev/null || true
act key Return                    # book
sleep 2

booked=$(bin/kapctl --db "$db" --json agenda --from 2027-03-01 --to 2027-12-31 --patient "$patient" |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
grep -qi panic "$tmp/app.log" && { cat "$tmp/app.log" >&2; fail "the app panicked"; }
if [ "$booked" -lt 1 ]; then
  [ -n "${KAPBOOK_SHOTS:-}" ] && cp "$tmp/proposed.png" "$KAPBOOK_SHOTS/ux-proposed.png"
  cat "$tmp/app.log" >&2
  fail "nothing was booked for Robin Park after $actions actions"
fi
echo "ux: booked a series of $booked appointments for an existing patient in $actions actions (at most $max)"
[ "$actions" -le "$max" ] || fail "$actions actions, more than $max"
result "1 passed, 0 failed"

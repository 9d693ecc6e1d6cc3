#!/usr/bin/env bash
# Opens the real kapbook window under Xvfb on the demo clinic, lets it visit
# every view of the shell (the hidden --tour flag), screenshots the screen at
# each, and checks that each view drew something of its own and that the app
# quit cleanly. The README's screenshots come from scripts/screenshots.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

result() { echo "window-smoke: $*"; }
fail() { echo "window-smoke: FAIL: $*" >&2; result "0 passed, 1 failed"; exit 1; }
skip() {
  [ "${KAPBOOK_REQUIRE_PEERS:-}" = 1 ] && fail "$* (KAPBOOK_REQUIRE_PEERS=1)"
  echo "window-smoke: skipped: $*"; result "0 passed, 0 failed, 1 skipped"; exit 0
}
for tool in xvfb-run /usr/bin/import /usr/bin/convert; do
  command -v "$tool" >/dev/null || skip "$tool not found; run: scripts/deps.sh test"
done

go build -o bin/kapbook .   # before the XDG dirs move, so Go's build cache is reused
CGO_ENABLED=0 go build -o bin/kapctl ./cmd/kapctl

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/config" "$tmp/cache" "$tmp/data" "$tmp/shots"
bin/kapctl --db "$tmp/demo.db" init --demo --with-patients 6 >/dev/null

# Inside Xvfb: start the app on its tour; at each "shot FILE" line the view
# is drawn and stays for a second: screenshot the screen then.
xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
  tmp=$1
  XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data \
    LANG=en_US.UTF-8 timeout 120 bin/kapbook --db "$tmp/demo.db" --tour 1s 2>"$tmp/app.log" |
  while read -r what file; do
    [ "$what" = shot ] || continue
    /usr/bin/import -window root "$tmp/shots/$file" 2>>"$tmp/import.log" || true
  done
  echo "${PIPESTATUS[0]}" >"$tmp/rc"
' _ "$tmp" || true

rc=$(cat "$tmp/rc" 2>/dev/null || echo "none")
[ "$rc" = 0 ] || { cat "$tmp/app.log" >&2; fail "kapbook exited with status $rc"; }
grep -qi panic "$tmp/app.log" && { cat "$tmp/app.log" >&2; fail "kapbook panicked"; }
views="today schedule-week book patient outbox settings"
for v in $views; do
  f="$tmp/shots/$v.png"
  [ -s "$f" ] || { cat "$tmp/import.log" >&2 2>/dev/null; fail "no screenshot of the $v view"; }
  colours=$(/usr/bin/convert "$f" -format %k info:)
  [ "$colours" -gt 2 ] || fail "the $v view stayed blank ($colours colours)"
done
# Each view drew something of its own: six different screens.
distinct=$(for v in $views; do /usr/bin/convert "$tmp/shots/$v.png" rgb:- | md5sum; done | sort -u | wc -l)
[ "$distinct" -eq 6 ] || fail "only $distinct different screens for 6 views: the shell did not switch views"

result "1 passed, 0 failed"

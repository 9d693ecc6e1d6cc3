#!/usr/bin/env bash
# Opens the real kapbook window under Xvfb, screenshots it while it runs, and
# checks that it drew something and quit cleanly. With UPDATE_SCREENSHOTS=1 the
# window is saved as docs/screenshots/window.png.
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
mkdir -p "$tmp/config" "$tmp/cache" "$tmp/data"
bin/kapctl --db "$tmp/demo.db" init --demo --with-patients 6 >/dev/null

# Inside Xvfb: start the app, screenshot every half second until the screen
# holds more than the 2 colours of an empty root window, then wait for it to quit.
xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
  tmp=$1
  XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data \
    LANG=en_US.UTF-8 timeout 60 bin/kapbook --db "$tmp/demo.db" --quit-after 5s >"$tmp/app.log" 2>&1 &
  pid=$!
  for _ in $(seq 20); do
    sleep 0.5
    /usr/bin/import -window root "$tmp/shot.png" 2>>"$tmp/import.log" || continue
    [ "$(/usr/bin/convert "$tmp/shot.png" -format %k info:)" -gt 2 ] && break
  done
  wait "$pid"; echo $? >"$tmp/rc"
' _ "$tmp" || true

rc=$(cat "$tmp/rc" 2>/dev/null || echo "none")
[ "$rc" = 0 ] || { cat "$tmp/app.log" >&2; fail "kapbook exited with status $rc"; }
[ -s "$tmp/shot.png" ] || { cat "$tmp/import.log" >&2 2>/dev/null; fail "no screenshot taken"; }
colours=$(/usr/bin/convert "$tmp/shot.png" -format %k info:)
[ "$colours" -gt 2 ] || fail "the screen stayed blank ($colours colours): no window drawn"

if [ "${UPDATE_SCREENSHOTS:-}" = 1 ]; then
  mkdir -p docs/screenshots
  # Crop to the window: a black border joins the black root, and -trim cuts both.
  /usr/bin/convert "$tmp/shot.png" -bordercolor black -border 1 -trim +repage docs/screenshots/window.png
  echo "window-smoke: updated docs/screenshots/window.png"
fi
result "1 passed, 0 failed"

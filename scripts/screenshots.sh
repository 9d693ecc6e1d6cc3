#!/usr/bin/env bash
# Takes the README's screenshots: runs the real kapbook app under Xvfb on a
# fresh demo clinic, lets it visit each view (the hidden --tour flag), and
# writes each view, cropped to the window, into docs/screenshots/:
# today.png, schedule-week.png, book.png, patient.png, outbox.png,
# settings.png, and setup.png (the first-run setup of a new database).
#
#   scripts/screenshots.sh        (make screenshots)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

for tool in xvfb-run /usr/bin/import /usr/bin/convert; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool not found; run: scripts/deps.sh test" >&2; exit 1; }
done

go build -o bin/kapbook .
CGO_ENABLED=0 go build -o bin/kapctl ./cmd/kapctl

# A known day, so the pictures show the same week whenever they are taken:
# the demo is made on Monday 1 March 2027, 09:00 in the demo clinic's zone,
# booking from Tuesday; the app then runs on Tuesday at 10:30, so Today has
# visits (kapctl and the app both read KAPBOOK_NOW; the app's clock runs on
# from it).
export KAPBOOK_NOW=${KAPBOOK_NOW:-2027-03-01T09:00:00-05:00}
export APP_NOW=${APP_NOW:-2027-03-02T10:30:00-05:00}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/config" "$tmp/cache" "$tmp/data" "$tmp/shots"
bin/kapctl --db "$tmp/demo.db" init --demo --with-patients 6 >/dev/null
# A new patient with nothing booked yet, for the booking screen.
bin/kapctl --db "$tmp/demo.db" patient add --name "Jordan Ellis" --email jordan.ellis@example.org \
  --phone "+1 617 555 0109" --weekdays tue,thu --times morning >/dev/null
# The booked series queue their confirmations; send them, so the outbox
# shows sent email as it will after a minute of the app running.
bin/kapctl --db "$tmp/demo.db" remind >/dev/null

xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
  tmp=$1
  run() {
    XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data \
      KAPBOOK_NOW=$APP_NOW LANG=en_US.UTF-8 timeout 120 bin/kapbook "$@" 2>>"$tmp/app.log"
  }
  run --db "$tmp/demo.db" --tour 2s |
  while read -r what file; do
    [ "$what" = shot ] && /usr/bin/import -window root "$tmp/shots/$file"
  done
  # The first-run setup: a database that does not exist yet.
  run --db "$tmp/new/kapbook.db" --quit-after 4s &
  sleep 3; /usr/bin/import -window root "$tmp/shots/setup.png"; wait
' _ "$tmp"

mkdir -p docs/screenshots
for f in today schedule-week book patient outbox settings setup; do
  [ -s "$tmp/shots/$f.png" ] || { cat "$tmp/app.log" >&2; echo "screenshots: no $f.png taken" >&2; exit 1; }
  # Crop to the window: a black border joins the black root, and -trim cuts both.
  /usr/bin/convert "$tmp/shots/$f.png" -bordercolor black -border 1 -trim +repage "docs/screenshots/$f.png"
  echo "screenshots: docs/screenshots/$f.png"
done

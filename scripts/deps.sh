#!/usr/bin/env bash
# Installs what kapbook needs and a fresh Debian/Ubuntu machine lacks.
#
#   scripts/deps.sh build   Go, a C compiler and the headers Fyne's GL driver needs
#   scripts/deps.sh test    build, plus the real peers the tests drive (README, "The two commands")
#   scripts/deps.sh windows the Windows cross-build (MinGW-w64, the fyne tool) and Wine to run it;
#                           test includes it, since CI runs both .exe files under Wine
#
# Says nothing when everything is present. To add a peer, add one line below.
set -euo pipefail

# Debian packages.
BUILD_DEBS=(
  make gcc pkg-config
  libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
)
TEST_DEBS=(
  xvfb xauth libgl1-mesa-dri  # a real window without a screen
  xdotool                     # a real mouse and keyboard on that window (scripts/two-desks.sh)
  imagemagick                 # screenshots: /usr/bin/import, /usr/bin/convert
  python3-icalendar radicale xandikos  # iCalendar peers: a parser and two CalDAV servers
  gnome-keyring dbus-daemon   # a real OS keyring (Secret Service) for the SMTP password
  postgresql                  # PostgreSQL 15 with btree_gist (in postgresql-15) for internal/pgtest
)
# The Windows build and Wine (scripts/windows.sh, scripts/wine-test.sh),
# installed without Debian's "recommended" extras: Wine's are hundreds of
# megabytes that nothing here uses.
WINDOWS_DEBS=(gcc-mingw-w64-x86-64 wine wine64 zip unzip curl)
WINDOWS_GO_TOOLS=(
  "fyne fyne.io/tools/cmd/fyne@v1.7.4"  # packages kapbook.exe (run as a Linux program: go run would build it for Windows)
)
# Go programs for tests, as "binary module@version", e.g. "mailpit github.com/axllent/mailpit@v1.33.1".
TEST_GO_TOOLS=(
  "mailpit github.com/axllent/mailpit@v1.33.1"  # a real SMTP server with an HTTP API
)
# npm packages for tests, as "name@version", e.g. "ical.js@2"; installed into .peers/npm.
TEST_NPM=(
  ical.js@2                   # the iCalendar parser inside Thunderbird
  cldr-core@48.2.0            # CLDR's windowsZones, to check calendar's generated table
  cldr-bcp47@48.2.0           # CLDR's canonical time zone names, for the same
)

root=$(cd "$(dirname "$0")/.." && pwd)

case ${1:-} in
  build) debs=("${BUILD_DEBS[@]}"); lean=(); go_tools=(); npm_pkgs=() ;;
  windows) debs=("${BUILD_DEBS[@]}"); lean=("${WINDOWS_DEBS[@]}"); go_tools=("${WINDOWS_GO_TOOLS[@]}"); npm_pkgs=() ;;
  test) debs=("${BUILD_DEBS[@]}" "${TEST_DEBS[@]}"); lean=("${WINDOWS_DEBS[@]}")
    go_tools=("${TEST_GO_TOOLS[@]}" "${WINDOWS_GO_TOOLS[@]}"); npm_pkgs=("${TEST_NPM[@]}") ;;
  *) echo "usage: scripts/deps.sh build|test|windows" >&2; exit 2 ;;
esac
# npm comes with nodejs where nodejs is NodeSource's build, and Debian's npm
# package conflicts with that one: install Debian's only when there is no npm.
if [ ${#npm_pkgs[@]} -gt 0 ] && ! command -v npm >/dev/null; then debs+=(nodejs npm); fi

# Go: on PATH, or where the official tarball puts it.
if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH=/usr/local/go/bin:$PATH
  else
    echo "deps: Go is not installed (not on PATH, not in /usr/local/go/bin)." >&2
    echo "deps: install Go $(sed -n 's/^go //p' "$root/go.mod") or later from https://go.dev/dl/ and put its bin folder on PATH." >&2
    exit 1
  fi
fi

missing=() missing_lean=()
for p in "${debs[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
for p in "${lean[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing_lean+=("$p")
done
if [ $((${#missing[@]} + ${#missing_lean[@]})) -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "deps: missing Debian packages: ${missing[*]} ${missing_lean[*]}" >&2
    echo -n "deps: install them with: sudo apt-get update" >&2
    [ ${#missing[@]} -eq 0 ] || echo -n " && sudo apt-get install -y ${missing[*]}" >&2
    [ ${#missing_lean[@]} -eq 0 ] || echo -n " && sudo apt-get install -y --no-install-recommends ${missing_lean[*]}" >&2
    echo >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]} ${missing_lean[*]}"
  apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600)
  "${apt[@]}" update
  [ ${#missing[@]} -eq 0 ] || "${apt[@]}" install -y "${missing[@]}" >/dev/null
  [ ${#missing_lean[@]} -eq 0 ] || "${apt[@]}" install -y --no-install-recommends "${missing_lean[@]}" >/dev/null
fi

for t in "${go_tools[@]}"; do
  read -r bin mod <<<"$t"
  gobin=$(go env GOBIN); gobin=${gobin:-$(go env GOPATH)/bin}
  # Installed when the binary was built from that package (its "path" line)
  # at that version (its main module's "mod" line).
  info=$(go version -m "$gobin/$bin" 2>/dev/null || true)
  if ! grep -qE "^[[:space:]]path[[:space:]]+${mod%@*}\$" <<<"$info" ||
     ! grep -qE "^[[:space:]]mod[[:space:]]+[^[:space:]]+[[:space:]]+${mod#*@}([[:space:]]|\$)" <<<"$info"; then
    echo "deps: go install $mod"
    go install "$mod"
  fi
done

for p in "${npm_pkgs[@]}"; do
  name=${p%@*}
  if [ ! -d "$root/.peers/npm/node_modules/$name" ]; then
    echo "deps: npm install $p"
    npm install --silent --no-audit --no-fund --prefix "$root/.peers/npm" "$p"
  fi
done

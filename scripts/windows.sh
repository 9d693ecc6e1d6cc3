#!/usr/bin/env bash
# Builds dist/kapbook-windows-amd64.zip for a clinic's Windows PCs:
#   kapbook.exe  the desktop app, packaged by the fyne tool (GUI program, icon,
#                version, and resources/windows/kapbook.exe.manifest: per-monitor
#                DPI awareness), cross-compiled with MinGW-w64;
#   kapctl.exe   the command, pure Go.
# Both are release builds (-trimpath) with the time zone data inside
# (time/tzdata): Windows has no zoneinfo. Takes about 10 minutes the first
# time on 2 cores (Fyne's GL driver in C), seconds after that.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
bash scripts/deps.sh windows
gobin=$(go env GOBIN); gobin=${gobin:-$(go env GOPATH)/bin}
out=bin/windows
mkdir -p "$out" dist

echo "windows: kapctl.exe"
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/kapctl.exe" ./cmd/kapctl

echo "windows: kapbook.exe (fyne package -os windows -release)"
version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
build=$(sed -n 's/^Build *= *\([0-9]*\)/\1/p' FyneApp.toml)
# The fyne tool raises Build in FyneApp.toml on every run (keep the file as
# it was), leaves kapbook.exe in the repository's folder, and takes
# kapbook.exe.manifest from there when there is one.
cp FyneApp.toml "$out/FyneApp.toml.keep"
sed "s/VERSION/$version.$build/" resources/windows/kapbook.exe.manifest >kapbook.exe.manifest
trap 'mv -f "$out/FyneApp.toml.keep" FyneApp.toml; rm -f kapbook.exe.manifest' EXIT
CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOARCH=amd64 "$gobin/fyne" package -os windows -release
mv -f kapbook.exe "$out/kapbook.exe"

rm -f dist/kapbook-windows-amd64.zip
(cd "$out" && zip -q -9 ../../dist/kapbook-windows-amd64.zip kapbook.exe kapctl.exe)
echo "windows: dist/kapbook-windows-amd64.zip"

#!/usr/bin/env bash
# Regenerates calendar/windowszones_cldr.go from the Unicode CLDR's
# windowsZones data, as published in the npm packages cldr-core and
# cldr-bcp47 at the versions below. Run by `go generate ./calendar`.
# To move to a newer CLDR, change CLDR_NPM here and in scripts/deps.sh.
set -euo pipefail
CLDR_NPM=48.2.0
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
for p in cldr-core cldr-bcp47; do
  npm pack --silent "$p@$CLDR_NPM" >/dev/null
  mkdir "$p" && tar xzf "$p-$CLDR_NPM.tgz" -C "$p"
done
cd "$root"
go run ./internal/cldrzones/gen -core "$tmp/cldr-core/package" -bcp47 "$tmp/cldr-bcp47/package" \
  -from "npm cldr-core@$CLDR_NPM and cldr-bcp47@$CLDR_NPM" -o calendar/windowszones_cldr.go
echo "cldr-windowszones: wrote calendar/windowszones_cldr.go (CLDR npm $CLDR_NPM)"

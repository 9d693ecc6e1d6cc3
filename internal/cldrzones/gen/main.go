// Command gen writes calendar/windowszones_cldr.go from the cldr-core and
// cldr-bcp47 npm packages, unpacked in the folders -core and -bcp47.
// scripts/cldr-windowszones.sh fetches them and runs it; go generate in
// package calendar runs that script.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kapbook/kapbook/internal/cldrzones"
)

func main() {
	core := flag.String("core", "", "the cldr-core package folder")
	bcp47 := flag.String("bcp47", "", "the cldr-bcp47 package folder")
	from := flag.String("from", "cldr-core and cldr-bcp47", "the package versions, for the file's header")
	out := flag.String("o", "windowszones_cldr.go", "the Go file to write")
	flag.Parse()
	if err := run(*core, *bcp47, *from, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(core, bcp47, from, out string) error {
	wz, err := os.ReadFile(filepath.Join(core, "supplemental", "windowsZones.json"))
	if err != nil {
		return err
	}
	tz, err := os.ReadFile(filepath.Join(bcp47, "bcp47", "timezone.json"))
	if err != nil {
		return err
	}
	t, err := cldrzones.Build(wz, tz)
	if err != nil {
		return err
	}
	src, err := t.Source("calendar", from)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

package cldrzones_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/internal/cldrzones"
	"github.com/kapbook/kapbook/internal/peer"
)

// windowsJSON builds a windowsZones.json with n filler zones besides
// those given, so Build's sanity floor is met.
func windowsJSON(t *testing.T, version string, zones [][3]string, n int) []byte {
	t.Helper()
	type mapZone struct {
		Other     string `json:"_other"`
		Type      string `json:"_type"`
		Territory string `json:"_territory"`
	}
	var list []map[string]mapZone
	for _, z := range zones {
		list = append(list, map[string]mapZone{"mapZone": {z[0], z[1], z[2]}})
	}
	for i := 0; i < n; i++ {
		list = append(list, map[string]mapZone{"mapZone": {fmt.Sprintf("Filler %d Standard Time", i), "Etc/UTC", "001"}})
	}
	b, err := json.Marshal(map[string]any{"supplemental": map[string]any{
		"version":      map[string]string{"_cldrVersion": version},
		"windowsZones": map[string]any{"mapTimezones": list},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const timezoneJSON = `{"keyword":{"u":{"tz":{
	"_description": "Time zone key",
	"inccu": {"_description": "Kolkata, India", "_alias": "Asia/Calcutta Asia/Kolkata", "_iana": "Asia/Kolkata"},
	"usnyc": {"_description": "New York", "_alias": "America/New_York US/Eastern"}
}}}}`

func TestBuild(t *testing.T) {
	wz := windowsJSON(t, "48", [][3]string{
		{"India Standard Time", "Asia/Calcutta", "001"},
		{"India Standard Time", "Asia/Calcutta", "IN"},
		{"Eastern Standard Time", "America/New_York", "001"},
		{"Eastern Standard Time", "America/Toronto America/Nassau", "CA"},
		{"UTC", "Etc/UTC", "001"},
	}, 100)
	table, err := cldrzones.Build(wz, []byte(timezoneJSON))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"India Standard Time":   "Asia/Kolkata", // CLDR's old name made canonical
		"Eastern Standard Time": "America/New_York",
		"UTC":                   "Etc/UTC", // not in timezone.json: kept as given
	} {
		if got := table.Zones[name]; got != want {
			t.Errorf("%s → %q, want %q", name, got, want)
		}
	}
	if table.CLDRVersion != "48" || len(table.Zones) != 103 {
		t.Errorf("version %q with %d zones, want 48 with 103 (main territory only)", table.CLDRVersion, len(table.Zones))
	}
	src, err := table.Source("calendar", "test")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`"India Standard Time":\s+"Asia/Kolkata",`).Match(src) || !strings.Contains(string(src), `const cldrVersion = "48"`) {
		t.Errorf("source lacks the table:\n%.400s", src)
	}
}

func TestBuild_BadInput(t *testing.T) {
	for _, tt := range []struct {
		name         string
		wz, timezone []byte
		want         string
	}{
		{"NotJSON", []byte("<xml/>"), []byte(timezoneJSON), "windowsZones.json"},
		{"NoVersion", windowsJSON(t, "", nil, 100), []byte(timezoneJSON), "no CLDR version"},
		{"TooFew", windowsJSON(t, "48", nil, 3), []byte(timezoneJSON), "only 3"},
		{"NoZoneName", windowsJSON(t, "48", [][3]string{{"", "Etc/UTC", "001"}}, 100), []byte(timezoneJSON), "without a name"},
		{"TimezoneNotJSON", windowsJSON(t, "48", nil, 100), []byte("{"), "timezone.json"},
		{"TimezoneEmpty", windowsJSON(t, "48", nil, 100), []byte(`{}`), "no time zones"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cldrzones.Build(tt.wz, tt.timezone)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestGeneratedTableMatchesCLDR regenerates the calendar package's table
// from the cldr-core and cldr-bcp47 packages that scripts/deps.sh installs
// and checks that the committed file is exactly that: nobody edited it by
// hand, and it was generated from the versions deps.sh pins.
func TestGeneratedTableMatchesCLDR(t *testing.T) {
	modules := filepath.Join("..", "..", ".peers", "npm", "node_modules")
	read := func(parts ...string) []byte {
		b, err := os.ReadFile(filepath.Join(append([]string{modules}, parts...)...))
		peer.Require(t, err)
		return b
	}
	version := func(pkg string) string {
		var p struct{ Version string }
		if err := json.Unmarshal(read(pkg, "package.json"), &p); err != nil {
			t.Fatal(err)
		}
		return p.Version
	}
	wz := read("cldr-core", "supplemental", "windowsZones.json")
	tz := read("cldr-bcp47", "bcp47", "timezone.json")
	table, err := cldrzones.Build(wz, tz)
	if err != nil {
		t.Fatal(err)
	}
	from := fmt.Sprintf("npm cldr-core@%s and cldr-bcp47@%s", version("cldr-core"), version("cldr-bcp47"))
	want, err := table.Source("calendar", from)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "calendar", "windowszones_cldr.go"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("calendar/windowszones_cldr.go is not what %s generates: run go generate ./calendar", from)
	}
}

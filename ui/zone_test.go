package ui

import "testing"

// TestIANAZone: on Windows the first-run setup proposes the clinic's time
// zone from the Windows zone name, mapped with CLDR's table, instead of
// New York for everyone (issue 15, item 3).
func TestIANAZone(t *testing.T) {
	for _, tc := range []struct {
		windows, want string
		ok            bool
	}{
		{"Eastern Standard Time", "America/New_York", true},
		{"Pacific Standard Time", "America/Los_Angeles", true},
		{"W. Europe Standard Time", "Europe/Berlin", true},
		{"AUS Eastern Standard Time", "Australia/Sydney", true},
		{"Nowhere Standard Time", "", false},
		{"", "", false},
	} {
		got, ok := ianaZone(tc.windows)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ianaZone(%q)=%q, %v, want %q, %v", tc.windows, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLocalZoneTZ: TZ comes first, on every system.
func TestLocalZoneTZ(t *testing.T) {
	t.Setenv("TZ", "Europe/Dublin")
	if got := LocalZone(); got != "Europe/Dublin" {
		t.Fatalf("LocalZone()=%q, want Europe/Dublin", got)
	}
}

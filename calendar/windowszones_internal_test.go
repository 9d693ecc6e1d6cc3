package calendar

import (
	"testing"
	"time"
)

// TestWindowsZones_AllKnown checks every entry of the table: its IANA name
// must exist in Go's time zone database on this machine (the table uses
// canonical names only), and an event in the Windows zone must land where
// the IANA zone puts it.
func TestWindowsZones_AllKnown(t *testing.T) {
	if len(windowsZones) < 130 {
		t.Fatalf("the table has %d entries; CLDR's has about 140", len(windowsZones))
	}
	at := time.Date(2027, 6, 15, 12, 0, 0, 0, time.UTC).Unix()
	for name, iana := range windowsZones {
		loc, err := time.LoadLocation(iana)
		if err != nil {
			t.Errorf("%s → %s: %v", name, iana, err)
			continue
		}
		got, ok := knownZone(name)
		if !ok || (goZone{got}).offset(at) != (goZone{loc}).offset(at) {
			t.Errorf("knownZone(%q) = %v, %v; want %s", name, got, ok, iana)
		}
	}
}

package calendar

import "strings"

//go:generate bash ../scripts/cldr-windowszones.sh

// retiredWindowsZones are Windows time zone names that CLDR no longer
// lists but that old calendars still carry, and Exchange's own spelling of
// UTC. Everything else comes from cldrWindowsZones, generated from CLDR
// (windowszones_cldr.go).
var retiredWindowsZones = map[string]string{
	"Armenian Standard Time":     "Asia/Yerevan",
	"Kamchatka Standard Time":    "Asia/Kamchatka",
	"Mid-Atlantic Standard Time": "Etc/GMT+2",
	"tzone://Microsoft/Utc":      "Etc/UTC",
}

// windowsZones maps the Windows time zone names that Outlook and Exchange
// write in TZID to canonical IANA names (Asia/Kolkata, not Asia/Calcutta),
// which every copy of the time zone database carries: CLDR's table and
// the retired names.
var windowsZones = func() map[string]string {
	m := make(map[string]string, len(cldrWindowsZones)+len(retiredWindowsZones))
	for k, v := range retiredWindowsZones {
		m[k] = v
	}
	for k, v := range cldrWindowsZones {
		m[k] = v
	}
	return m
}()

// windowsZonesFolded is windowsZones keyed in lower case.
var windowsZonesFolded = func() map[string]string {
	m := make(map[string]string, len(windowsZones))
	for k, v := range windowsZones {
		m[strings.ToLower(k)] = v
	}
	return m
}()

// WindowsZone returns the IANA time zone name for a Windows time zone name
// such as "Eastern Standard Time" (America/New_York) or "W. Europe Standard
// Time" (Europe/Berlin), as Outlook writes them in TZID. Case and
// surrounding spaces do not matter.
func WindowsZone(name string) (iana string, ok bool) {
	iana, ok = windowsZonesFolded[strings.ToLower(strings.TrimSpace(name))]
	return iana, ok
}

package ui

import "golang.org/x/sys/windows/registry"

// windowsZoneName returns the name of this computer's Windows time zone,
// such as "Eastern Standard Time", from the registry, or "" if it cannot
// be read.
func windowsZoneName() string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Control\TimeZoneInformation`, registry.QUERY_VALUE)
	if err != nil {
		return ""
	}
	defer k.Close()
	name, _, err := k.GetStringValue("TimeZoneKeyName")
	if err != nil {
		return ""
	}
	return name
}

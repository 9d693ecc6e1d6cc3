//go:build !windows

package ui

// windowsZoneName returns "": only Windows names its time zones its own way.
func windowsZoneName() string { return "" }

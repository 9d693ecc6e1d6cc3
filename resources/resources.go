// Package resources holds kapbook's embedded data: the default protocols
// and the demo clinic. Loading and validation live in package booking.
package resources

import (
	"embed"

	"github.com/kapbook/kapbook/booking"
)

// Protocols holds the default protocols, one JSON file each, under
// "protocols/". See booking.ParseProtocol for the format.
//
//go:embed protocols/*.json
var Protocols embed.FS

// DemoClinic is the demo clinic: settings, staff and rooms. See
// booking.ParseClinicFile for the format.
//
//go:embed demo-clinic.json
var DemoClinic []byte

// IsDemo reports whether c is the demo clinic (by its name), where a
// pretend clock may send the outbox: its patients are fictional.
func IsDemo(c *booking.Clinic) bool {
	f, err := booking.ParseClinicFile(DemoClinic)
	return err == nil && c != nil && c.Name == f.Clinic.Name
}

// Package resources holds kapbook's embedded data: the default protocols
// and the demo clinic. Loading and validation live in package booking.
package resources

import (
	"embed"
	"sync"

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
func IsDemo(c *booking.Clinic) bool { return c != nil && c.Name == demoName() }

// demoName is the demo clinic's name, read once ("" if the embedded file
// were broken, which its tests rule out).
var demoName = sync.OnceValue(func() string {
	f, err := booking.ParseClinicFile(DemoClinic)
	if err != nil {
		return ""
	}
	return f.Clinic.Name
})

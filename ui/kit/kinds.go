package kit

import (
	"image/color"

	"github.com/kapbook/kapbook/booking"
)

// Kind colours come from the Okabe–Ito palette, which stays distinguishable
// with the common forms of colour blindness; every block also carries its
// kind in words, so colour is never the only cue.
var kindColors = map[booking.Kind]color.NRGBA{
	booking.KindConsultation: {0x56, 0xB4, 0xE9, 0xff}, // sky blue
	booking.KindPreparation:  {0x00, 0x9E, 0x73, 0xff}, // bluish green
	booking.KindDosing:       {0xE6, 0x9F, 0x00, 0xff}, // orange
	booking.KindInfusion:     {0xD5, 0x5E, 0x00, 0xff}, // vermillion
	booking.KindIntegration:  {0xCC, 0x79, 0xA7, 0xff}, // reddish purple
}

var otherKind = color.NRGBA{0x99, 0x99, 0x99, 0xff}

// KindColor returns the colour of an appointment kind.
func KindColor(kind booking.Kind) color.Color {
	if c, ok := kindColors[kind]; ok {
		return c
	}
	return otherKind
}

// KindFill returns the kind's colour made translucent, for block fills
// that keep black or white text readable in light and dark themes.
func KindFill(kind booking.Kind) color.Color {
	c, ok := kindColors[kind]
	if !ok {
		c = otherKind
	}
	c.A = 0x70
	return c
}

// KindName returns the kind in words, e.g. "Dosing".
func KindName(kind booking.Kind) string {
	if kind == "" {
		return "Appointment"
	}
	return kind.Title()
}

// Kinds lists the kinds with a colour of their own, in the order of a series.
func Kinds() []booking.Kind {
	return []booking.Kind{booking.KindConsultation, booking.KindPreparation, booking.KindDosing, booking.KindInfusion, booking.KindIntegration}
}

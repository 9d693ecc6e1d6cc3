package calendar_test

import (
	"testing"

	"github.com/kapbook/kapbook/calendar"
)

func TestWindowsZone(t *testing.T) {
	tests := []struct{ windows, iana string }{
		{"Eastern Standard Time", "America/New_York"},
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"  pacific standard time ", "America/Los_Angeles"},
		{"GMT Standard Time", "Europe/London"},
		{"India Standard Time", "Asia/Kolkata"},
		{"AUS Eastern Standard Time", "Australia/Sydney"},
		{"UTC+12", "Etc/GMT-12"},
		{"tzone://Microsoft/Utc", "Etc/UTC"},
		{"", ""},
		{"America/New_York", ""},
		{"Eastern Time", ""},
	}
	for _, tt := range tests {
		if got, ok := calendar.WindowsZone(tt.windows); got != tt.iana || ok != (tt.iana != "") {
			t.Errorf("WindowsZone(%q) = %q, %v; want %q", tt.windows, got, ok, tt.iana)
		}
	}
}

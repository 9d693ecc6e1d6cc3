package calendar_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kapbook/kapbook/calendar"
)

// FuzzImportBusy feeds ImportBusy arbitrary files. It must never panic or
// hang, and what it returns must hold: busy times sorted, merged, within
// the horizon, never more than the limit; or an *ImportError whose line
// exists and whose reason is printable text. Seeds: the inputs kept under
// testdata/fuzz/FuzzImportBusy, a few hostile rules, and the ical.js
// corpus when it is beside the repository.
func FuzzImportBusy(f *testing.F) {
	for _, s := range []string{
		impCal(impEvent("DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
			"EXDATE;TZID=America/New_York:20270303T090000", "RDATE;VALUE=PERIOD:20270311T150000Z/PT2H")),
		impCal(strings.TrimSuffix(outlookCustom, "\r\n"), impEvent("UID:a", "DTSTART;TZID=Customized Time Zone:20270301T090000", "DTEND;TZID=Customized Time Zone:20270301T100000", "RRULE:FREQ=MONTHLY;BYDAY=-1FR"),
			impEvent("UID:a", "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Customized Time Zone:20270326T090000", "DTSTART;TZID=Customized Time Zone:20270326T110000")),
		impCal(impEvent("DTSTART;VALUE=DATE:00010101", "RRULE:FREQ=SECONDLY;INTERVAL=7;BYHOUR=3;BYMINUTE=5;COUNT=99999999")),
		impCal(impEvent("DTSTART:99991231T235959Z", "DURATION:P5W", "RRULE:FREQ=YEARLY;BYWEEKNO=53;BYDAY=-1SU;BYSETPOS=-1")),
		impCal(impEvent("DTSTART:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=MINUTELY;INTERVAL=60;BYMINUTE=30")),
		"BEGIN:VCALENDAR\nX;A=\"b\"c:1\nDTSTART;TZID=x\nEND:VCALENDAR\n",
	} {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob(filepath.Join(impCorpusDir, "*.ics")); len(files) > 0 {
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	opts := calendar.ImportOptions{Clinic: impNY, From: time.Date(2027, 1, 1, 0, 0, 0, 0, impNY), To: time.Date(2028, 1, 1, 0, 0, 0, 0, impNY)}
	f.Fuzz(func(t *testing.T, data []byte) {
		busy, err := calendar.ImportBusy(bytes.NewReader(data), opts)
		if err != nil {
			var ie *calendar.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("err=%v (%T), want an *ImportError", err, err)
			}
			if busy != nil {
				t.Fatalf("busy=%d with an error", len(busy))
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; ie.Line < 0 || ie.Line > lines {
				t.Fatalf("line %d of a file of %d lines: %v", ie.Line, lines, err)
			}
			if ie.Reason == "" || !utf8.ValidString(ie.Reason) || strings.ContainsFunc(ie.Reason, unicode.IsControl) {
				t.Fatalf("reason %q is not printable text", ie.Reason)
			}
			return
		}
		if len(busy) > calendar.DefaultMaxInstances {
			t.Fatalf("busy times=%d, more than the limit", len(busy))
		}
		for i, iv := range busy {
			if !iv.End.After(iv.Start) || !iv.Overlaps(opts.From, opts.To) || iv.Reason != calendar.BusyReason {
				t.Fatalf("busy time %v is empty, outside the horizon or has another reason", iv)
			}
			if i > 0 && !busy[i-1].End.Before(iv.Start) {
				t.Fatalf("busy times %v and %v are out of order or not merged", busy[i-1], iv)
			}
		}
	})
}

package calendar_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/calendar"
)

// busyBenchCalendar is the speed case: a weekly event for five years
// (260 weeks, Outlook style, with a Windows TZID and its VTIMEZONE) and 200
// exceptions: 100 weeks left out by EXDATE and 100 moved by RECURRENCE-ID
// overrides, mixed.
func busyBenchCalendar() []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kapbook//bench//EN\r\n")
	b.WriteString(outlookEastern)
	start := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC) // a Monday, as wall-clock time
	b.WriteString("BEGIN:VEVENT\r\nUID:weekly@bench\r\nDTSTAMP:20261201T000000Z\r\nSUMMARY:Supervision\r\n")
	b.WriteString("DTSTART;TZID=Eastern Standard Time:20270104T090000\r\nDTEND;TZID=Eastern Standard Time:20270104T103000\r\n")
	b.WriteString("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=260\r\n")
	var overrides strings.Builder
	for i := 0; i < 200; i++ {
		week := 1 + i*259/200 // spread over the five years
		at := start.AddDate(0, 0, 7*week).Format("20060102T150405")
		if i%2 == 0 {
			fmt.Fprintf(&b, "EXDATE;TZID=Eastern Standard Time:%s\r\n", at)
			continue
		}
		moved := start.AddDate(0, 0, 7*week+1).Add(5 * time.Hour).Format("20060102T150405")
		fmt.Fprintf(&overrides, "BEGIN:VEVENT\r\nUID:weekly@bench\r\nDTSTAMP:20261201T000000Z\r\nRECURRENCE-ID;TZID=Eastern Standard Time:%s\r\n"+
			"DTSTART;TZID=Eastern Standard Time:%s\r\nDURATION:PT1H\r\nSEQUENCE:1\r\nEND:VEVENT\r\n", at, moved)
	}
	b.WriteString("END:VEVENT\r\n")
	b.WriteString(overrides.String())
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

// outlookEastern is the VTIMEZONE Outlook writes for its Windows zone
// "Eastern Standard Time".
const outlookEastern = "BEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\n" +
	"BEGIN:STANDARD\r\nDTSTART:16011104T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:16010311T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\n" +
	"END:VTIMEZONE\r\n"

func BenchmarkImportBusy(b *testing.B) {
	data := busyBenchCalendar()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	opts := calendar.ImportOptions{Clinic: ny, From: time.Date(2027, 1, 1, 0, 0, 0, 0, ny), To: time.Date(2032, 1, 1, 0, 0, 0, 0, ny)}
	var n int
	b.ReportAllocs()
	for b.Loop() {
		busy, err := calendar.ImportBusy(bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
		n = len(busy)
	}
	if n != 260-100 {
		b.Fatalf("busy times=%d, want %d (260 weeks, 100 left out, 100 moved)", n, 160)
	}
	b.ReportMetric(float64(n), "busy/op")
	b.ReportMetric(float64(len(data))/1024, "KiB/file")
}

// busyHistoryCalendar is a large personal calendar as Google exports it:
// ten years of history, 15,000 one-off events and 300 weekly series (all
// but the last 30 ended after two years), each with 20 deleted weeks and
// 10 moved ones, in the IANA zone with its VTIMEZONE, folded long lines
// included.
func busyHistoryCalendar() []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nX-WR-TIMEZONE:America/New_York\r\n")
	b.WriteString(strings.ReplaceAll(outlookEastern, "Eastern Standard Time", "America/New_York"))
	base := time.Date(2017, 1, 2, 8, 0, 0, 0, time.UTC)
	for i := 0; i < 15000; i++ {
		at := base.Add(time.Duration(i) * 5 * time.Hour)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:one-%d@google.com\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;TZID=America/New_York:%s\r\nDTEND;TZID=America/New_York:%s\r\n"+
			"SUMMARY:Event %d\r\nDESCRIPTION:%s\r\n %s\r\nEND:VEVENT\r\n", i, at.Format("20060102T150405"), at.Add(time.Hour).Format("20060102T150405"), i,
			strings.Repeat("private note ", 5), strings.Repeat("more ", 10))
	}
	for s := 0; s < 300; s++ {
		start := base.AddDate(0, 0, s*11)
		rule := "FREQ=WEEKLY"
		if s < 270 {
			rule += ";UNTIL=" + start.AddDate(2, 0, 0).Format("20060102T150405Z")
		}
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:series-%d@google.com\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;TZID=America/New_York:%s\r\nDURATION:PT45M\r\nRRULE:%s\r\n",
			s, start.Format("20060102T150405"), rule)
		for k := 0; k < 20; k++ {
			fmt.Fprintf(&b, "EXDATE;TZID=America/New_York:%s\r\n", start.AddDate(0, 0, 7*(k*20+3)).Format("20060102T150405"))
		}
		b.WriteString("END:VEVENT\r\n")
		for k := 0; k < 10; k++ {
			orig := start.AddDate(0, 0, 7*(k*30+5))
			fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:series-%d@google.com\r\nDTSTAMP:20261201T000000Z\r\nRECURRENCE-ID;TZID=America/New_York:%s\r\nDTSTART;TZID=America/New_York:%s\r\nDURATION:PT45M\r\nEND:VEVENT\r\n",
				s, orig.Format("20060102T150405"), orig.Add(2*time.Hour).Format("20060102T150405"))
		}
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

// BenchmarkImportBusy_History imports busyHistoryCalendar over the default
// horizon, a year from 2027-02-22.
func BenchmarkImportBusy_History(b *testing.B) {
	data := busyHistoryCalendar()
	opts := calendar.ImportOptions{Clinic: time.UTC, Now: time.Date(2027, 2, 22, 9, 0, 0, 0, time.UTC)}
	opts.Clinic, _ = time.LoadLocation("America/New_York")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		busy, err := calendar.ImportBusy(bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
		n = len(busy)
	}
	b.ReportMetric(float64(n), "busy/op")
	b.ReportMetric(float64(len(data))/(1<<20), "MiB/file")
}

package calendar_test

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// impNY is the test clinic's zone.
var impNY = impLoc("America/New_York")

func impLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// impCal wraps lines in a VCALENDAR, with CRLF line ends.
func impCal(lines ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kapbook//test//EN\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n"
}

// impEvent wraps lines in a VEVENT.
func impEvent(lines ...string) string {
	return "BEGIN:VEVENT\r\nDTSTAMP:20270101T000000Z\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VEVENT"
}

// impSpan formats a busy time as start/end in RFC 3339 to the minute.
func impSpan(iv booking.Interval) string {
	const f = "2006-01-02T15:04Z07:00"
	return iv.Start.Format(f) + "/" + iv.End.Format(f)
}

// impImport imports ics for the New York clinic over [from, to) (dates in
// New York) and checks what every import must hold.
func impImport(t *testing.T, ics, from, to string) ([]string, error) {
	t.Helper()
	opts := calendar.ImportOptions{Clinic: impNY, From: impDay(t, from), To: impDay(t, to)}
	busy, err := calendar.ImportBusy(strings.NewReader(ics), opts)
	if err != nil {
		if busy != nil {
			t.Fatalf("busy=%v with err=%v, want nothing on error", busy, err)
		}
		return nil, err
	}
	var out []string
	for i, iv := range busy {
		if iv.Reason != calendar.BusyReason {
			t.Fatalf("reason=%q, want %q: an event's own title must never be copied", iv.Reason, calendar.BusyReason)
		}
		if !iv.End.After(iv.Start) || !iv.Overlaps(opts.From, opts.To) || iv.Start.Location() != impNY {
			t.Fatalf("busy time %s is empty, outside the horizon or not in clinic time", impSpan(iv))
		}
		if i > 0 && !busy[i-1].End.Before(iv.Start) {
			t.Fatalf("busy times %s and %s are out of order or not merged", impSpan(busy[i-1]), impSpan(iv))
		}
		out = append(out, impSpan(iv))
	}
	return out, nil
}

func impDay(t *testing.T, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04"} {
		if d, err := time.ParseInLocation(layout, s, impNY); err == nil {
			return d
		}
	}
	t.Fatalf("bad test date %q", s)
	return time.Time{}
}

// outlookCustom is Outlook's Eastern rules under a name no database
// knows, so only the VTIMEZONE can say what it means.
var outlookCustom = strings.ReplaceAll(outlookEastern, "TZID:Eastern Standard Time", "TZID:Customized Time Zone")

func TestImportBusy_OK(t *testing.T) {
	tests := []struct {
		name     string
		ics      string
		from, to string // default 2027-01-01 to 2028-01-01
		want     []string
	}{
		{"UTC", impCal(impEvent("DTSTART:20270301T140000Z", "DTEND:20270301T150000Z")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"FloatingIsClinicTime", impCal(impEvent("DTSTART:20270301T090000", "DTEND:20270301T100000")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"IANAZone", impCal(impEvent("DTSTART;TZID=Europe/Berlin:20270301T150000", "DTEND;TZID=Europe/Berlin:20270301T160000")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"WindowsZoneWithoutVTIMEZONE", impCal(impEvent(`DTSTART;TZID="W. Europe Standard Time":20270301T150000`, "DURATION:PT1H")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"WindowsZoneWithOutlookVTIMEZONE", impCal(strings.TrimSuffix(outlookEastern, "\r\n"),
			impEvent("DTSTART;TZID=Eastern Standard Time:20270315T090000", "DTEND;TZID=Eastern Standard Time:20270315T100000")), "", "",
			[]string{"2027-03-15T09:00-04:00/2027-03-15T10:00-04:00"}},
		{"ZoneOnlyInVTIMEZONE_KeepsDaylightSaving", impCal(strings.TrimSuffix(outlookCustom, "\r\n"),
			impEvent("DTSTART;TZID=Customized Time Zone:20270301T090000", "DTEND;TZID=Customized Time Zone:20270301T100000", "RRULE:FREQ=WEEKLY;COUNT=3")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-08T09:00-05:00/2027-03-08T10:00-05:00", "2027-03-15T09:00-04:00/2027-03-15T10:00-04:00"}},
		{"FixedZoneInVTIMEZONE", impCal("BEGIN:VTIMEZONE\r\nTZID:Somewhere\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE",
			impEvent("DTSTART;TZID=Somewhere:20270301T193000", "DURATION:PT1H")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"MozillaPrefixedZone", impCal(impEvent("DTSTART;TZID=/mozilla.org/20070129_1/Europe/Berlin:20270301T150000", "DURATION:PT1H")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"AllDayBlocksClinicDays", impCal(impEvent("DTSTART;VALUE=DATE:20270301", "DTEND;VALUE=DATE:20270303")), "", "",
			[]string{"2027-03-01T00:00-05:00/2027-03-03T00:00-05:00"}},
		{"OnlyDateStartIsOneDay", impCal(impEvent("DTSTART;VALUE=DATE:20270301")), "", "",
			[]string{"2027-03-01T00:00-05:00/2027-03-02T00:00-05:00"}},
		{"OnlyDateTimeStartBlocksNothing", impCal(impEvent("DTSTART:20270301T090000Z")), "", "", nil},
		{"DurationDayKeepsWallClockAcrossDST", impCal(impEvent("DTSTART;TZID=America/New_York:20270313T100000", "DURATION:P1D")), "", "",
			[]string{"2027-03-13T10:00-05:00/2027-03-14T10:00-04:00"}},
		{"DurationHoursAreExact", impCal(impEvent("DTSTART;TZID=America/New_York:20270313T100000", "DURATION:PT24H")), "", "",
			[]string{"2027-03-13T10:00-05:00/2027-03-14T11:00-04:00"}},
		{"OnlyTentativeOfFourBlocks", impCal(
			impEvent("UID:a", "DTSTART:20270301T090000", "DTEND:20270301T100000", "TRANSP:TRANSPARENT"),
			impEvent("UID:b", "DTSTART:20270302T090000", "DTEND:20270302T100000", "STATUS:CANCELLED"),
			impEvent("UID:c", "DTSTART:20270303T090000", "DTEND:20270303T100000", "X-MICROSOFT-CDO-BUSYSTATUS:FREE"),
			impEvent("UID:d", "DTSTART:20270304T090000", "DTEND:20270304T100000", "STATUS:TENTATIVE")), "", "",
			[]string{"2027-03-04T09:00-05:00/2027-03-04T10:00-05:00"}},
		{"WeeklyKeepsWallClockAcrossDST", impCal(impEvent("DTSTART;TZID=America/New_York:20270308T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3")), "", "",
			[]string{"2027-03-08T09:00-05:00/2027-03-08T10:00-05:00", "2027-03-15T09:00-04:00/2027-03-15T10:00-04:00", "2027-03-22T09:00-04:00/2027-03-22T10:00-04:00"}},
		{"ExdateRdateAndPeriod", impCal(impEvent("DTSTART;TZID=America/New_York:20270301T090000", "DTEND;TZID=America/New_York:20270301T100000",
			"RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=America/New_York:20270308T090000", "RDATE;TZID=America/New_York:20270310T140000",
			"RDATE;VALUE=PERIOD:20270311T150000Z/20270311T170000Z")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-10T14:00-05:00/2027-03-10T15:00-05:00",
				"2027-03-11T10:00-05:00/2027-03-11T12:00-05:00", "2027-03-15T09:00-04:00/2027-03-15T10:00-04:00", "2027-03-22T09:00-04:00/2027-03-22T10:00-04:00"}},
		{"ExdateOfADayLeavesOutThatDay", impCal(impEvent("DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H",
			"RRULE:FREQ=DAILY;COUNT=4", "EXDATE;VALUE=DATE:20270302")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-03T09:00-05:00/2027-03-03T10:00-05:00", "2027-03-04T09:00-05:00/2027-03-04T10:00-05:00"}},
		{"ExdateWithSeveralValuesAndFloating", impCal(impEvent("DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H",
			"RRULE:FREQ=DAILY;COUNT=4", "EXDATE;TZID=America/New_York:20270302T090000,20270303T090000", "EXDATE:20270304T090000")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"OverrideMovesOneInstance", impCal(
			impEvent("UID:s", "DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3"),
			impEvent("UID:s", "RECURRENCE-ID;TZID=America/New_York:20270308T090000", "DTSTART;TZID=America/New_York:20270309T150000", "DTEND;TZID=America/New_York:20270309T160000")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-09T15:00-05:00/2027-03-09T16:00-05:00", "2027-03-15T09:00-04:00/2027-03-15T10:00-04:00"}},
		{"OverrideNamedInUTC", impCal(
			impEvent("UID:s", "DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3"),
			impEvent("UID:s", "RECURRENCE-ID:20270308T140000Z", "DTSTART:20270309T200000Z", "DTEND:20270309T210000Z")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-09T15:00-05:00/2027-03-09T16:00-05:00", "2027-03-15T09:00-04:00/2027-03-15T10:00-04:00"}},
		{"CancelledOverrideFreesItsInstance", impCal(
			impEvent("UID:s", "DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3"),
			impEvent("UID:s", "RECURRENCE-ID;TZID=America/New_York:20270308T090000", "DTSTART;TZID=America/New_York:20270308T090000", "DURATION:PT1H", "STATUS:CANCELLED")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-15T09:00-04:00/2027-03-15T10:00-04:00"}},
		{"OpaqueOverrideOfFreeSeriesBlocks", impCal(
			impEvent("UID:s", "DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3", "TRANSP:TRANSPARENT"),
			impEvent("UID:s", "RECURRENCE-ID;TZID=America/New_York:20270308T090000", "DTSTART;TZID=America/New_York:20270308T110000", "TRANSP:OPAQUE")), "", "",
			[]string{"2027-03-08T11:00-05:00/2027-03-08T12:00-05:00"}},
		{"OverrideWithoutSeriesStandsAlone", impCal(
			impEvent("UID:gone", "RECURRENCE-ID;VALUE=DATE:20270301", "DTSTART;VALUE=DATE:20270301", "DTEND;VALUE=DATE:20270302")), "", "",
			[]string{"2027-03-01T00:00-05:00/2027-03-02T00:00-05:00"}},
		{"HigherSequenceOverrideWins", impCal(
			impEvent("UID:s", "DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=2"),
			impEvent("UID:s", "SEQUENCE:2", "RECURRENCE-ID;TZID=America/New_York:20270308T090000", "DTSTART;TZID=America/New_York:20270308T130000", "DURATION:PT1H"),
			impEvent("UID:s", "SEQUENCE:1", "RECURRENCE-ID;TZID=America/New_York:20270308T090000", "DTSTART;TZID=America/New_York:20270308T110000", "DURATION:PT1H")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-08T13:00-05:00/2027-03-08T14:00-05:00"}},
		{"ThisAndFutureMovesTheRest", impCal(
			impEvent("UID:s", "DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=4"),
			impEvent("UID:s", "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=America/New_York:20270315T090000", "DTSTART;TZID=America/New_York:20270315T110000", "DURATION:PT30M")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-08T09:00-05:00/2027-03-08T10:00-05:00",
				"2027-03-15T11:00-04:00/2027-03-15T11:30-04:00", "2027-03-22T11:00-04:00/2027-03-22T11:30-04:00"}},
		{"HorizonKeepsWhatOverlapsIt", impCal(
			impEvent("UID:a", "DTSTART:20270301T100000", "DTEND:20270301T130000"),
			impEvent("UID:b", "DTSTART:20270301T080000", "DTEND:20270301T090000"),
			impEvent("UID:c", "DTSTART:20270302T120000", "DTEND:20270302T130000")), "2027-03-01T12:00", "2027-03-02T12:00",
			[]string{"2027-03-01T10:00-05:00/2027-03-01T13:00-05:00"}},
		{"MergesOverlappingAndTouching", impCal(
			impEvent("UID:a", "DTSTART:20270301T090000", "DTEND:20270301T100000"),
			impEvent("UID:b", "DTSTART:20270301T093000", "DTEND:20270301T110000"),
			impEvent("UID:c", "DTSTART:20270301T110000", "DTEND:20270301T120000"),
			impEvent("UID:d", "DTSTART:20270301T130000", "DTEND:20270301T140000")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T12:00-05:00", "2027-03-01T13:00-05:00/2027-03-01T14:00-05:00"}},
		{"SpringForwardGapMovesOn", impCal(impEvent("DTSTART;TZID=America/New_York:20270314T023000", "DURATION:PT30M")), "", "",
			[]string{"2027-03-14T03:30-04:00/2027-03-14T04:00-04:00"}},
		{"FallBackTakesTheFirst", impCal(impEvent("DTSTART;TZID=America/New_York:20271107T013000", "DURATION:PT30M")), "", "",
			[]string{"2027-11-07T01:30-04:00/2027-11-07T01:00-05:00"}},
		{"UntilInUTCIsInclusive", impCal(impEvent("DTSTART;TZID=America/New_York:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY;UNTIL=20270303T140000Z")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-02T09:00-05:00/2027-03-02T10:00-05:00", "2027-03-03T09:00-05:00/2027-03-03T10:00-05:00"}},
		{"MonthlyLastFriday", impCal(impEvent("DTSTART:20270129T090000", "DURATION:PT1H", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3")), "", "",
			[]string{"2027-01-29T09:00-05:00/2027-01-29T10:00-05:00", "2027-02-26T09:00-05:00/2027-02-26T10:00-05:00", "2027-03-26T09:00-04:00/2027-03-26T10:00-04:00"}},
		{"MultipleRRULEsAndEXRULE", impCal(impEvent("DTSTART:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2",
			"RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2", "EXRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=1;WKST=MO")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-08T09:00-05:00/2027-03-08T10:00-05:00",
				"2027-03-10T09:00-05:00/2027-03-10T10:00-05:00"}},
		{"UnreachableHourlyRuleKeepsOnlyItsStart", impCal(impEvent("DTSTART:20270301T000000", "DURATION:PT30M", "RRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=1")), "", "",
			[]string{"2027-03-01T00:00-05:00/2027-03-01T00:30-05:00"}},
		{"RuleThatNeverMatchesEnds", impCal(impEvent("DTSTART:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"TwoCalendarObjects", impCal(impEvent("DTSTART:20270301T090000", "DURATION:PT1H")) + impCal(impEvent("DTSTART:20270302T090000", "DURATION:PT1H")), "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00", "2027-03-02T09:00-05:00/2027-03-02T10:00-05:00"}},
		{"LooseSyntax", "\xef\xbb\xbfBEGIN:VCALENDAR\nbegin:vevent\n\ndtstart;tzid=America/New_Y\n ork:20270301T090000\nDURATION:PT1H\nEND:VEVENT\n\nEND:VCALENDAR\n\n", "", "",
			[]string{"2027-03-01T09:00-05:00/2027-03-01T10:00-05:00"}},
		{"OtherComponentsDoNotBlock", impCal("BEGIN:VTODO\r\nDTSTART:20270301T090000\r\nDUE:20270301T100000\r\nEND:VTODO",
			"BEGIN:VFREEBUSY\r\nFREEBUSY:20270301T090000Z/20270301T100000Z\r\nEND:VFREEBUSY", "BEGIN:X-THING\r\nEND:X-THING"), "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := tt.from, tt.to
			if from == "" {
				from, to = "2027-01-01", "2028-01-01"
			}
			got, err := impImport(t, tt.ics, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("busy=\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestImportBusy_OldRules checks rules that began decades before the
// horizon against instances counted by hand, day by day.
func TestImportBusy_OldRules(t *testing.T) {
	from, to := impDay(t, "2027-03-01"), impDay(t, "2027-07-01")
	tests := []struct {
		name  string
		rule  string
		every int // days between instances
		count int // 0: no end
	}{
		{"FortnightlySince1990", "FREQ=WEEKLY;INTERVAL=2", 14, 0},
		{"EveryThirdDaySince1990", "FREQ=DAILY;INTERVAL=3", 3, 0},
		{"DailyWithCountSince1990", "FREQ=DAILY;COUNT=13590", 1, 13590}, // the last is 2027-03-21
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ics := impCal(impEvent("DTSTART;TZID=America/New_York:19900105T080000", "DURATION:PT1H", "RRULE:"+tt.rule))
			got, err := impImport(t, ics, "2027-03-01", "2027-07-01")
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			d := time.Date(1990, 1, 5, 8, 0, 0, 0, impNY)
			for n := 1; d.Before(to) && (tt.count == 0 || n <= tt.count); n++ {
				if !d.Before(from) {
					want = append(want, impSpan(booking.Interval{Start: d, End: d.Add(time.Hour)}))
				}
				d = d.AddDate(0, 0, tt.every)
			}
			if len(want) < 5 || strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("busy=%v\nwant %v", got, want)
			}
		})
	}
}

func TestImportBusy_Refused(t *testing.T) {
	ev := func(lines ...string) string { return impCal(impEvent(append([]string{"UID:x"}, lines...)...)) }
	// In ev(...), the calendar's lines 1-3 are BEGIN, VERSION and PRODID; the
	// event begins on line 4 and its own lines start on line 7.
	tests := []struct {
		name   string
		ics    string
		line   int
		reason string
	}{
		{"Empty", "", 0, "the file is empty"},
		{"BlankOnly", "\r\n\r\n", 0, "the file is empty"},
		{"WebPage", "<!DOCTYPE html>\n<html><body>Sign in</body></html>\n", 1, "not a calendar (iCalendar) file"},
		{"SpaceFirst", " BEGIN:VCALENDAR\r\n", 1, "not a calendar (iCalendar) file"},
		{"CutShort", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20270301T090000Z\r\n", 2, "ends before END:VEVENT: it may have been cut short"},
		{"WrongEnd", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\nEND:VCALENDAR\n", 3, "END:VTODO does not close BEGIN:VEVENT of line 2"},
		{"TextAfterEnd", "BEGIN:VCALENDAR\nEND:VCALENDAR\nSUMMARY:x\n", 3, "outside any BEGIN:VCALENDAR"},
		{"NotALine", ev("DTSTART:20270301T090000Z", "Lunch with Sam"), 8, "is not a calendar line (NAME:VALUE)"},
		{"ParameterWithoutColon", ev("DTSTART;TZID=Europe/Berlin"), 7, "DTSTART has no ':' before its value"},
		{"JunkAfterQuotedParameter", ev(`DTSTART;TZID="Europe/Berlin"x:20270301T090000`), 7, "unexpected 'x' after parameter TZID"},
		{"UnclosedQuote", ev(`DTSTART;TZID="Europe/Berlin:20270301T090000`), 7, "the quoted value of parameter TZID is not closed"},
		{"BadPropertyName", ev("DT START:20270301T090000Z"), 7, `"DT START" is not a property name`},
		{"FoldedLineKeepsItsFirstLine", impCal(impEvent("UID:x", "DTSTART;TZID=Europe/\r\n Berlin:2027030\r\n 1T0900")), 7, `the event's start (DTSTART): "20270301T0900" is not a date`},
		{"NoStart", ev("SUMMARY:x"), 4, "the event has no start (DTSTART)"},
		{"BadStart", ev("DTSTART:2027030"), 7, `"2027030" is not a date (YYYYMMDD) or a date and time (YYYYMMDDTHHMMSS)`},
		{"BadMonth", ev("DTSTART:20271301T090000Z"), 7, "is not a date"},
		{"UnknownZone", ev("DTSTART;TZID=Mars/Olympus:20270301T090000", "DURATION:PT1H"), 7, `the time zone "Mars/Olympus" is not one kapbook knows, and the file does not describe it`},
		{"EndBeforeStart", ev("DTSTART:20270301T090000Z", "DTEND:20270301T080000Z"), 8, "the event ends (DTEND) before it starts (line 7)"},
		{"EndAndDuration", ev("DTSTART:20270301T090000Z", "DTEND:20270301T100000Z", "DURATION:PT1H"), 9, "both an end (DTEND, line 8) and a duration"},
		{"EndIsDateForTimedStart", ev("DTSTART:20270301T090000Z", "DTEND;VALUE=DATE:20270302"), 8, "must be a date and time, like its start on line 7"},
		{"NegativeDuration", ev("DTSTART:20270301T090000Z", "DURATION:-PT1H"), 8, "is negative"},
		{"BadDuration", ev("DTSTART:20270301T090000Z", "DURATION:1H"), 8, `"1H" is not a duration`},
		{"HugeDuration", ev("DTSTART:20270301T090000Z", "DURATION:P999999999W"), 8, "longer than 100 years"},
		{"BadExdate", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=DAILY", "EXDATE:20270302T09"), 9, "EXDATE: \"20270302T09\" is not a date"},
		{"BadRecurrenceID", ev("DTSTART:20270301T090000Z", "RECURRENCE-ID:tomorrow"), 8, "RECURRENCE-ID"},
		{"RuleWithUnknownPart", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=WEEKLY;FOO=1"), 8, "has a part kapbook does not know (FOO)"},
		{"RuleWithoutFrequency", ev("DTSTART:20270301T090000Z", "RRULE:COUNT=3"), 8, "has no frequency (FREQ)"},
		{"RuleWithZeroCount", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=DAILY;COUNT=0"), 8, "COUNT below 1"},
		{"RuleWithHugeInterval", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=DAILY;INTERVAL=9223372036854775807"), 8, "INTERVAL outside 1 to 10000"},
		{"RuleWithEaster", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=YEARLY;BYEASTER=400"), 8, "does not know (BYEASTER)"},
		{"RuleWithSixthMonday", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=MONTHLY;BYDAY=-53MO"), 8, "a month has at most 5 of each weekday"},
		{"RuleWithBadWeekday", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=WEEKLY;BYDAY=XY"), 8, "is not valid"},
		{"RuleWithBadBound", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=MONTHLY;BYMONTHDAY=32"), 8, "bymonthday must be between 1 and 31"},
		{"RuleTooDense", ev("DTSTART:20270301T090000Z", "RRULE:FREQ=YEARLY;BYHOUR="+impRange(0, 23)+";BYMINUTE="+impRange(0, 59)+";BYSECOND="+impRange(0, 59)), 8, "repeats too often (more than 100000 times in one period)"},
		{"EveryMinute", ev("DTSTART:20270301T090000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY;INTERVAL=2"), 9, "more than 10000 busy times between 2027-01-01 and 2028-01-01"},
		{"ZoneWithoutOffset", impCal("BEGIN:VTIMEZONE\r\nTZID:Mine\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE",
			impEvent("DTSTART;TZID=Mine:20270301T090000")), 6, `the STANDARD part of time zone "Mine" has no TZOFFSETTO`},
		{"ZoneWithBadOffset", impCal("BEGIN:VTIMEZONE\r\nTZID:Mine\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+2500\r\nEND:STANDARD\r\nEND:VTIMEZONE",
			impEvent("DTSTART;TZID=Mine:20270301T090000")), 9, `"+2500" is not a UTC offset`},
		{"ZoneWithNothing", impCal("BEGIN:VTIMEZONE\r\nTZID:Mine\r\nEND:VTIMEZONE", impEvent("DTSTART;TZID=Mine:20270301T090000")), 4, `time zone "Mine" has no STANDARD or DAYLIGHT part`},
		{"NestedTooDeep", "BEGIN:VCALENDAR\n" + strings.Repeat("BEGIN:X\n", 8), 9, "nested more than 8 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := impImport(t, tt.ics, "2027-01-01", "2028-01-01")
			var ie *calendar.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("err=%v, want an *ImportError", err)
			}
			if ie.Line != tt.line || !strings.Contains(ie.Reason, tt.reason) {
				t.Fatalf("line %d: %q\nwant line %d: %q", ie.Line, ie.Reason, tt.line, tt.reason)
			}
			prefix := "calendar: "
			if tt.line > 0 {
				prefix += "line " + strconv.Itoa(tt.line) + ": "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("err=%q, want it to start with %q", err, prefix)
			}
		})
	}
}

func impRange(a, b int) string {
	var s []string
	for i := a; i <= b; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ",")
}

func TestImportBusy_TooLarge(t *testing.T) {
	head := impCal(impEvent("DTSTART:20270301T090000Z", "DESCRIPTION:"))
	big := io.MultiReader(strings.NewReader(head), io.LimitReader(impXReader{}, calendar.MaxImportBytes))
	_, err := calendar.ImportBusy(big, calendar.ImportOptions{Clinic: impNY})
	var ie *calendar.ImportError
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "larger than 32 MB") {
		t.Fatalf("err=%v, want the file refused as too large", err)
	}
}

func TestImportBusy_Options(t *testing.T) {
	ics := impCal(impEvent("DTSTART:20270301T090000", "DURATION:PT1H"))
	tests := []struct {
		name string
		opts calendar.ImportOptions
		want string // error text, or "" for success
	}{
		{"NoClinicZone", calendar.ImportOptions{}, "Clinic is required"},
		{"EndsBeforeStart", calendar.ImportOptions{Clinic: impNY, From: impDay(t, "2027-03-02"), To: impDay(t, "2027-03-01")}, "empty or longer than twenty years"},
		{"TooLong", calendar.ImportOptions{Clinic: impNY, From: impDay(t, "2000-01-01"), To: impDay(t, "2027-03-01")}, "empty or longer than twenty years"},
		{"DefaultHorizonHasIt", calendar.ImportOptions{Clinic: impNY, Now: impDay(t, "2027-02-28")}, ""},
		{"DefaultHorizonStartsADayAgo", calendar.ImportOptions{Clinic: impNY, Now: impDay(t, "2027-03-02T12:00")}, "none"},
		{"DefaultHorizonEndsAYearAhead", calendar.ImportOptions{Clinic: impNY, Now: impDay(t, "2026-02-28")}, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, err := calendar.ImportBusy(strings.NewReader(ics), tt.opts)
			switch {
			case tt.want == "" && (err != nil || len(busy) != 1):
				t.Fatalf("busy=%v err=%v, want the one event", busy, err)
			case tt.want == "none" && (err != nil || len(busy) != 0):
				t.Fatalf("busy=%v err=%v, want nothing in the horizon", busy, err)
			case tt.want != "" && tt.want != "none" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err=%v, want %q", err, tt.want)
			}
		})
	}
}

func TestImportBusy_MaxInstances(t *testing.T) {
	ics := impCal(impEvent("DTSTART:20270301T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=10"))
	opts := calendar.ImportOptions{Clinic: impNY, From: impDay(t, "2027-01-01"), To: impDay(t, "2028-01-01"), MaxInstances: 9}
	if _, err := calendar.ImportBusy(strings.NewReader(ics), opts); err == nil || !strings.Contains(err.Error(), "more than 9 busy times") {
		t.Fatalf("err=%v, want the 10th instance refused", err)
	}
	opts.MaxInstances = 10
	if busy, err := calendar.ImportBusy(strings.NewReader(ics), opts); err != nil || len(busy) != 10 {
		t.Fatalf("busy=%d err=%v, want 10", len(busy), err)
	}
}

// TestImportBusy_ReadError passes on the reader's error.
func TestImportBusy_ReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := calendar.ImportBusy(impErrReader{boom}, calendar.ImportOptions{Clinic: impNY})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "calendar: ") {
		t.Fatalf("err=%v, want the read error wrapped", err)
	}
}

// impXReader reads x for ever.
type impXReader struct{}

func (impXReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

type impErrReader struct{ err error }

func (r impErrReader) Read([]byte) (int, error) { return 0, r.err }

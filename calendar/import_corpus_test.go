package calendar_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/internal/peer"
)

// impCorpusDir holds ical.js's sample calendars (see its NOTICE.md); CI
// checks shared/ out beside the clone.
const impCorpusDir = "../../shared/ics-corpus/icaljs-samples"

// impCorpus returns the corpus's .ics files, or skips the test when the
// folder is absent, unless KAPBOOK_REQUIRE_PEERS=1 makes that a failure.
func impCorpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(impCorpusDir, "*.ics"))
	if err != nil || len(files) == 0 {
		if peer.Required() {
			t.Fatalf("no calendars in %s (KAPBOOK_REQUIRE_PEERS=1): check out shared/ beside the repository", impCorpusDir)
		}
		t.Skipf("skipped: no calendars in %s (shared/ is not checked out beside the repository)", impCorpusDir)
	}
	sort.Strings(files)
	return files
}

// TestImportBusy_Corpus reads every sample calendar of ical.js, the parser
// inside Thunderbird, and says per file what kapbook makes of it: how many
// busy times from 2012 to 2024 for a clinic in New York, with the first and
// the last, or why it refuses the file. A file added to the corpus without
// a row here fails the test.
func TestImportBusy_Corpus(t *testing.T) {
	type want struct {
		n           int
		first, last string // "" when n == 0; last "" when n == 1
		refused     string // part of the reason, for a file kapbook refuses
		why         string // what the row shows
	}
	table := map[string]want{
		"blank_description.ics": {1, "2012-06-30T09:00-04:00/2012-06-30T10:00-04:00", "", "", "VALARMs without properties are ignored"},
		"blank_line_end.ics":    {0, "", "", "", "an empty calendar with blank lines after it imports as no busy time"},
		"blank_line_mid.ics":    {0, "", "", "", "a blank line inside is skipped"},
		"daily_recur.ics": {4536, "2012-08-01T08:00-04:00/2012-08-01T09:00-04:00", "2024-12-31T08:00-05:00/2024-12-31T09:00-05:00", "",
			"an endless daily rule at 05:00 Los Angeles time, every day of the horizon, across every DST change"},
		"day_long_recur_yearly.ics":     {0, "", "", "", "TRANSP:TRANSPARENT does not block"},
		"duration_instead_of_dtend.ics": {1, "2012-06-30T09:00-04:00/2012-07-01T09:00-04:00", "", "", "DURATION:P1D is one day"},
		"forced_types.ics":              {0, "", "", "", "TRANSP:TRANSPARENT does not block"},
		"google_birthday.ics": {3, "2012-12-10T00:00-05:00/2012-12-11T00:00-05:00", "2014-12-10T00:00-05:00/2014-12-11T00:00-05:00", "",
			"Google's RDATE:20131210Z is read as a date; overrides whose series has another UID stand alone; whole clinic days"},
		"minimal.ics":           {1, "2012-06-30T09:00-04:00/2012-06-30T10:00-04:00", "", "", "one event in a TZID with its VTIMEZONE"},
		"multiple_rrules.ics":   {36, "2012-03-26T14:00-04:00/2012-03-26T14:30-04:00", "2012-07-29T14:00-04:00/2012-07-29T14:30-04:00", "", "two RRULEs: 18 Mondays and 18 Sundays until UNTIL"},
		"only_dtstart_date.ics": {1, "2012-06-30T00:00-04:00/2012-07-01T00:00-04:00", "", "", "a date without an end is one clinic day"},
		"only_dtstart_time.ics": {0, "", "", "", "a date and time without an end lasts no time and blocks nothing"},
		"parserv2.ics": {3211, "2012-09-11T13:30-04:00/2012-09-11T14:00-04:00", "2024-12-31T13:30-05:00/2024-12-31T14:00-05:00", "",
			"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR: weekdays only"},
		"rdate_exdate.ics": {0, "", "", "", "no DTEND: zero length (TestImportBusy_CorpusExdateOfADay gives it a length)"},
		"recur_instances.ics": {149, "2012-10-02T18:00-04:00/2012-10-02T18:30-04:00", "2024-12-03T13:00-05:00/2024-12-03T13:30-05:00", "",
			"monthly 1st Tuesday with RDATEs (one a PERIOD), 3 EXDATEs, an override named in TZID and one named in UTC; a VTIMEZONE without TZID and an X- component are skipped"},
		"recur_instances_finite.ics": {5, "2012-10-02T13:00-04:00/2012-10-02T13:30-04:00", "2012-12-04T13:00-05:00/2012-12-04T13:30-05:00", "",
			"a floating UNTIL ends the rule; RDATEs add two"},
		"timezone_from_file.ics": {1, "2023-03-06T16:23-05:00/2023-03-06T17:23-05:00", "", "", "Nowhere/Middle at -07:41 exists only in the file's VTIMEZONE"},
		"utc_negative_zero.ics":  {1, "2012-08-21T17:00-04:00/2012-08-21T17:30-04:00", "", "", "TZOFFSETTO:-0000 is UTC"},
	}
	files := impCorpus(t)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".ics"), func(t *testing.T) {
			w, ok := table[name]
			if !ok {
				t.Fatalf("%s is new in the corpus: say in this table what kapbook makes of it", name)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := impImport(t, string(data), "2012-01-01", "2025-01-01")
			if w.refused != "" {
				var ie *calendar.ImportError
				if !errors.As(err, &ie) || !strings.Contains(ie.Reason, w.refused) {
					t.Fatalf("err=%v, want it refused: %s", err, w.refused)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v; want %d busy times (%s)", err, w.n, w.why)
			}
			if len(got) != w.n {
				t.Fatalf("busy times=%d, want %d (%s)", len(got), w.n, w.why)
			}
			if w.n > 0 && got[0] != w.first {
				t.Fatalf("first=%s, want %s (%s)", got[0], w.first, w.why)
			}
			if w.n > 1 && got[len(got)-1] != w.last {
				t.Fatalf("last=%s, want %s (%s)", got[len(got)-1], w.last, w.why)
			}
		})
	}
	if len(table) != len(files) {
		t.Errorf("the table has %d rows for %d files: a row names a file the corpus no longer has", len(table), len(files))
	}
}

// TestImportBusy_CorpusExdateOfADay gives rdate_exdate.ics's event a
// length, so that its EXDATE;VALUE=DATE on a timed daily series shows: of
// four days, the third is left out.
func TestImportBusy_CorpusExdateOfADay(t *testing.T) {
	impCorpus(t)
	data, err := os.ReadFile(filepath.Join(impCorpusDir, "rdate_exdate.ics"))
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("DTSTART:20240609T030000Z"), []byte("DTSTART:20240609T030000Z\nDURATION:PT1H"), 1)
	got, err := impImport(t, string(data), "2024-01-01", "2025-01-01")
	want := "2024-06-08T23:00-04:00/2024-06-09T00:00-04:00 2024-06-09T23:00-04:00/2024-06-10T00:00-04:00 2024-06-11T23:00-04:00/2024-06-12T00:00-04:00"
	if err != nil || strings.Join(got, " ") != want {
		t.Fatalf("busy=%v err=%v\nwant %s", got, err, want)
	}
}

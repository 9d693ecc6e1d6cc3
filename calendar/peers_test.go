package calendar

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/peer"
)

// Real iCalendar software reads kapbook's exports here (README, "The two commands"):
// python3-icalendar and ical.js parse every file, Radicale stores every
// event and finds it by time range. A missing peer skips its test with the
// reason, unless KAPBOOK_REQUIRE_PEERS=1, when it fails.

// requirePeer skips or fails t when a peer is missing (see internal/peer).
func requirePeer(t *testing.T, err error) { peer.Require(t, err) }

const pythonPath = "/usr/bin/python3"

func havePyICal() error {
	if out, err := exec.Command(pythonPath, "-c", "import icalendar").CombinedOutput(); err != nil {
		return fmt.Errorf("python3-icalendar: %s", bytes.TrimSpace(out))
	}
	return nil
}

// icalJS returns the path of ical.js, installed by scripts/deps.sh under
// .peers/npm at the repository's root.
func icalJSPath() (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("node is not installed")
	}
	path, err := filepath.Abs(filepath.Join("..", ".peers", "npm", "node_modules", "ical.js", "dist", "ical.js"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("ical.js is not installed in .peers/npm")
	}
	return path, nil
}

// peerEvent is one event as a peer read it; times in Unix seconds.
type peerEvent struct {
	UID         string   `json:"uid"`
	Sequence    int      `json:"sequence"`
	Status      string   `json:"status"`
	Start       int64    `json:"start"`
	End         int64    `json:"end"`
	VTZStart    *int64   `json:"vtz_start"` // python: the local time read through the file's VTIMEZONE
	VTZEnd      *int64   `json:"vtz_end"`
	Zone        string   `json:"zone"` // ical.js: the zone the start was read in
	Summary     string   `json:"summary"`
	Location    string   `json:"location"`
	Description string   `json:"description"`
	Categories  []string `json:"categories"`
	Alarms      int      `json:"alarms"`
}

// parseWithPyICal reads files with python3-icalendar.
func parseWithPyICal(t *testing.T, files ...string) map[string][]peerEvent {
	t.Helper()
	requirePeer(t, havePyICal())
	return runPeerDriver(t, exec.Command(pythonPath, append([]string{filepath.Join("testdata", "peers", "pyical_times.py")}, files...)...))
}

// parseWithICALJS reads files with ical.js.
func parseWithICALJS(t *testing.T, files ...string) map[string][]peerEvent {
	t.Helper()
	lib, err := icalJSPath()
	requirePeer(t, err)
	cmd := exec.Command("node", append([]string{filepath.Join("testdata", "peers", "icaljs_times.mjs")}, files...)...)
	// TZ=UTC: were a TZID read as floating time, it would show as UTC.
	cmd.Env = append(os.Environ(), "ICALJS="+lib, "TZ=UTC")
	return runPeerDriver(t, cmd)
}

func runPeerDriver(t *testing.T, cmd *exec.Cmd) map[string][]peerEvent {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(cmd.Args[1]), err, stderr.Bytes())
	}
	var res map[string][]peerEvent
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s: %v: %s", filepath.Base(cmd.Args[1]), err, out)
	}
	return res
}

// peerWant is what a peer must read for one exported appointment.
type peerWant struct {
	a                             *booking.Appointment
	summary, location, desc, kind string
	alarms                        int
}

// wants decodes data with go-ical and returns, by UID, what the peers
// must read: the appointment's times, sequence and status, and the texts
// go-ical decoded.
func peerWants(t *testing.T, data []byte, instance string, list []*booking.Appointment) map[string]peerWant {
	t.Helper()
	events := exportEvents(t, decodeExport(t, data))
	out := map[string]peerWant{}
	for _, a := range list {
		uid := UID(instance, a.ID)
		ev := events[uid]
		if ev == nil {
			t.Fatalf("no event %s", uid)
		}
		w := peerWant{a: a, summary: textProp(t, ev, ical.PropSummary), location: textProp(t, ev, ical.PropLocation),
			desc: textProp(t, ev, ical.PropDescription), alarms: len(ev.Children)}
		if p := ev.Props.Get(ical.PropCategories); p != nil {
			w.kind = p.Value
		}
		out[uid] = w
	}
	return out
}

// checkPeerEvents compares what one peer read in one file with what kapbook
// exported.
func checkPeerEvents(t *testing.T, peer, file string, got []peerEvent, want map[string]peerWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s read %d events in %s, want %d", peer, len(got), file, len(want))
	}
	for _, ev := range got {
		w, ok := want[ev.UID]
		if !ok {
			t.Errorf("%s read an unknown UID %q in %s", peer, ev.UID, file)
			continue
		}
		a := w.a
		status := "CONFIRMED"
		if !a.Status.Active() {
			status = "CANCELLED"
		}
		where := fmt.Sprintf("%s, %s, appointment %d", peer, file, a.ID)
		if ev.Start != a.Start.Unix() || ev.End != a.End.Unix() {
			t.Errorf("%s: %s–%s UTC, want %s–%s", where, time.Unix(ev.Start, 0).UTC(), time.Unix(ev.End, 0).UTC(), a.Start.UTC(), a.End.UTC())
		}
		if ev.VTZStart != nil && (*ev.VTZStart != a.Start.Unix() || ev.VTZEnd == nil || *ev.VTZEnd != a.End.Unix()) {
			t.Errorf("%s: through the VTIMEZONE %s, want %s", where, time.Unix(*ev.VTZStart, 0).UTC(), a.Start.UTC())
		}
		if ev.Sequence != a.Sequence || ev.Status != status {
			t.Errorf("%s: SEQUENCE %d, STATUS %s; want %d, %s", where, ev.Sequence, ev.Status, a.Sequence, status)
		}
		if ev.Summary != w.summary || ev.Location != w.location || ev.Description != w.desc {
			t.Errorf("%s: texts %q / %q / %q, go-ical read %q / %q / %q", where, ev.Summary, ev.Location, ev.Description, w.summary, w.location, w.desc)
		}
		if ev.Alarms != w.alarms {
			t.Errorf("%s: %d alarms, want %d", where, ev.Alarms, w.alarms)
		}
		if peer == "ical.js" {
			if ev.Zone != "America/New_York" {
				t.Errorf("%s: start read in zone %q, want America/New_York from the VTIMEZONE", where, ev.Zone)
			}
			if got := strings.Join(ev.Categories, ","); got != w.kind {
				t.Errorf("%s: CATEGORIES %q, want %q", where, got, w.kind)
			}
		}
	}
}

// peerExportFiles writes the exports the peer tests read: the whole clinic in
// each privacy mode, a patient's own calendar with alarms, a room's, a
// staff member's feed, an empty one and one of long, escaped, multi-byte
// texts. It returns the files and, by file, what the peers must read.
func peerExportFiles(t *testing.T, f *exportFixture) ([]string, map[string]map[string]peerWant) {
	t.Helper()
	dir := t.TempDir()
	all := f.appts(t, booking.AppointmentFilter{})
	files := []string{}
	want := map[string]map[string]peerWant{}
	add := func(name string, x Export) {
		data, path := writeExport(t, dir, name, x)
		files = append(files, path)
		want[path] = peerWants(t, data, x.InstanceID, x.Appointments)
	}
	for _, p := range []Privacy{PrivacyFull, PrivacyInitials, PrivacyID} {
		x := f.export(all)
		x.Privacy = p
		add("all-"+string(p)+".ics", x)
	}
	x := f.export(f.appts(t, booking.AppointmentFilter{PatientID: f.patients[0].ID}))
	x.ForPatient, x.Alarms = true, true
	add("patient.ics", x)
	x = f.export(f.appts(t, booking.AppointmentFilter{RoomID: all[0].RoomID}))
	add("room.ics", x)
	x = f.export(f.appts(t, booking.AppointmentFilter{StaffID: all[0].Staff[0].StaffID}))
	x.RefreshInterval, x.Name = time.Hour, all[0].Staff[0].Name
	add("feed.ics", x)
	// The feed as kapctl serve answers it, through the real handler.
	staffID := all[0].Staff[0].StaffID
	token, hash, err := NewFeedToken()
	if err != nil {
		t.Fatal(err)
	}
	feed := &booking.Feed{TokenHash: hash, Resource: booking.Resource{Kind: booking.StaffResource, ID: staffID}, Privacy: string(PrivacyInitials)}
	if err := f.db.Update(f.ctx, func(tx booking.Tx) error { return tx.SaveFeed(f.ctx, feed) }); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	(&FeedHandler{Store: f.db, Now: func() time.Time { return f.now }}).ServeHTTP(rec, httptest.NewRequest("GET", FeedPath(token), nil))
	if rec.Code != 200 {
		t.Fatalf("feed answered %d", rec.Code)
	}
	served := filepath.Join(dir, "served-feed.ics")
	if err := os.WriteFile(served, rec.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	files = append(files, served)
	want[served] = peerWants(t, rec.Body.Bytes(), f.instance, f.appts(t, booking.AppointmentFilter{StaffID: staffID}))
	x = f.export(nil)
	add("empty.ics", x)
	x = f.export(all[:3])
	long := strings.Repeat(`Zoë "Ærø", Łódź; 山田\太郎 `, 5)
	x.PatientName, x.Privacy = func(int64) string { return long }, PrivacyFull
	add("long.ics", x)
	return files, want
}

// TestPeers_Parse has python3-icalendar and ical.js read every export and
// checks, for every event, the UTC start and end (across 2027-03-14), the
// UID, SEQUENCE, STATUS and texts against kapbook's.
func TestPeers_Parse(t *testing.T) {
	f := newExportFixture(t)
	files, want := peerExportFiles(t, f)
	for peer, parse := range map[string]func(*testing.T, ...string) map[string][]peerEvent{"python3-icalendar": parseWithPyICal, "ical.js": parseWithICALJS} {
		t.Run(peer, func(t *testing.T) {
			got := parse(t, files...)
			est, edt := 0, 0
			for _, file := range files {
				checkPeerEvents(t, peer, filepath.Base(file), got[file], want[file])
				for _, ev := range got[file] {
					if _, off := time.Unix(ev.Start, 0).In(f.clinic.Location()).Zone(); off == -5*3600 {
						est++
					} else {
						edt++
					}
				}
			}
			if est == 0 || edt == 0 {
				t.Fatalf("%d events in EST, %d in EDT: the files should cross the daylight-saving change", est, edt)
			}
			if peer == "python3-icalendar" {
				vtz := 0
				for _, evs := range got {
					for _, ev := range evs {
						if ev.VTZStart != nil {
							vtz++
						}
					}
				}
				if vtz == 0 {
					t.Fatal("python read no time through the VTIMEZONE")
				}
			}
		})
	}
}

// TestPeers_RescheduleAndCancel has both parsers read an export before and
// after a reschedule and a cancellation: the same UIDs, a higher SEQUENCE,
// the new time and STATUS:CANCELLED.
func TestPeers_RescheduleAndCancel(t *testing.T) {
	f := newExportFixture(t)
	dir := t.TempDir()
	filter := booking.AppointmentFilter{PatientID: f.patients[0].ID}
	before := f.appts(t, filter)
	_, oldPath := writeExport(t, dir, "before.ics", f.export(before))
	moved, cancelled := f.change(t, before)
	after := f.appts(t, filter)
	newData, newPath := writeExport(t, dir, "after.ics", f.export(after))
	want := peerWants(t, newData, f.instance, after)
	for peer, parse := range map[string]func(*testing.T, ...string) map[string][]peerEvent{"python3-icalendar": parseWithPyICal, "ical.js": parseWithICALJS} {
		t.Run(peer, func(t *testing.T) {
			got := parse(t, oldPath, newPath)
			checkPeerEvents(t, peer, "after.ics", got[newPath], want)
			old := map[string]peerEvent{}
			for _, ev := range got[oldPath] {
				old[ev.UID] = ev
			}
			if len(old) != len(got[newPath]) {
				t.Fatalf("%d events before, %d after", len(old), len(got[newPath]))
			}
			for _, ev := range got[newPath] {
				o, ok := old[ev.UID]
				if !ok {
					t.Fatalf("UID %s is new after the changes", ev.UID)
				}
				switch ev.UID {
				case UID(f.instance, moved.ID):
					if ev.Sequence <= o.Sequence || ev.Start == o.Start || ev.Start != moved.Start.Unix() || ev.Status != "CONFIRMED" {
						t.Errorf("moved: SEQUENCE %d→%d, start %d→%d, %s; want a higher SEQUENCE and the new start %d", o.Sequence, ev.Sequence, o.Start, ev.Start, ev.Status, moved.Start.Unix())
					}
				case UID(f.instance, cancelled.ID):
					if ev.Sequence <= o.Sequence || o.Status != "CONFIRMED" || ev.Status != "CANCELLED" {
						t.Errorf("cancelled: SEQUENCE %d→%d, STATUS %s→%s; want a higher SEQUENCE and CANCELLED", o.Sequence, ev.Sequence, o.Status, ev.Status)
					}
				default:
					if ev.Sequence != o.Sequence || ev.Start != o.Start || ev.Status != o.Status {
						t.Errorf("%s changed without a change", ev.UID)
					}
				}
			}
		})
	}
}

// radicale is a Radicale CalDAV server started for one test.
type radicaleServer struct {
	base string // http://127.0.0.1:port
	user string
}

// startRadicale starts Radicale in a temporary folder on a free port,
// with no authentication (a Basic-auth user name is still needed) and
// owner-only rights, and stops it when t ends.
func startRadicale(t *testing.T) *radicaleServer {
	t.Helper()
	bin, err := exec.LookPath("radicale")
	if err != nil {
		requirePeer(t, fmt.Errorf("radicale is not installed"))
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	conf := filepath.Join(dir, "config")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`[server]
hosts = %s
[auth]
type = none
[rights]
type = owner_only
[storage]
filesystem_folder = %s
[web]
type = none
[logging]
level = warning
`, addr, filepath.Join(dir, "collections"))), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", conf)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("radicale said:\n%s", logs.String())
		}
	})
	r := &radicaleServer{base: "http://" + addr, user: "kapbook"}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("radicale did not start on %s: %v\n%s", addr, err, logs.String())
		}
	}
}

// do sends one request and returns the status and body.
func (r *radicaleServer) do(t *testing.T, method, path, contentType string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, r.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(r.user, "")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// query runs a calendar-query REPORT for events overlapping [from, to)
// and returns the calendar data found, by UID.
func (r *radicaleServer) query(t *testing.T, cal string, from, to time.Time) map[string]string {
	t.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="` + from.UTC().Format(stampFormat) + `" end="` + to.UTC().Format(stampFormat) + `"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`
	status, resp := r.do(t, "REPORT", cal, "application/xml; charset=utf-8", []byte(body), "Depth", "1")
	if status != http.StatusMultiStatus {
		t.Fatalf("REPORT: %d %s", status, resp)
	}
	var ms struct {
		Responses []struct {
			Href string `xml:"href"`
			Data string `xml:"propstat>prop>calendar-data"`
		} `xml:"response"`
	}
	if err := xml.Unmarshal(resp, &ms); err != nil {
		t.Fatalf("REPORT: %v", err)
	}
	out := map[string]string{}
	for _, x := range ms.Responses {
		if x.Data == "" {
			continue
		}
		c, err := ical.NewDecoder(strings.NewReader(x.Data)).Decode()
		if err != nil {
			t.Fatalf("REPORT returned calendar data go-ical cannot read: %v", err)
		}
		for _, ev := range c.Events() {
			uid, _ := ev.Props.Text(ical.PropUID)
			out[uid] = x.Data
		}
	}
	return out
}

// splitExportEvents cuts an export into one calendar per event, each with the
// export's header and VTIMEZONE, as a CalDAV client PUTs them.
func splitExportEvents(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	first := bytes.Index(data, []byte("BEGIN:VEVENT\r\n"))
	if first < 0 {
		t.Fatal("no events to split")
	}
	head := data[:first]
	out := map[string][]byte{}
	for rest := data[first:]; bytes.HasPrefix(rest, []byte("BEGIN:VEVENT\r\n")); {
		end := bytes.Index(rest, []byte("END:VEVENT\r\n")) + len("END:VEVENT\r\n")
		ev := rest[:end]
		rest = rest[end:]
		uid := string(bytes.SplitN(bytes.SplitN(ev, []byte("UID:"), 2)[1], []byte("\r\n"), 2)[0])
		one := append(append(append([]byte{}, head...), ev...), "END:VCALENDAR\r\n"...)
		out[uid] = one
	}
	return out
}

// TestPeers_Radicale PUTs every event of an export across the
// daylight-saving change to Radicale, which must accept each one and
// return it on a calendar-query REPORT: all of them for the whole range,
// and each one for a minute-wide window at its start but not for the
// minute before, so that an hour's error in reading the VTIMEZONE would
// show. A re-export after a reschedule and a cancellation replaces the
// stored events under the same names.
func TestPeers_Radicale(t *testing.T) {
	r := startRadicale(t)
	f := newExportFixture(t)
	cal := "/" + r.user + "/kapbook/"
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
  <D:displayname>kapbook</D:displayname>
  <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>`
	if status, resp := r.do(t, "MKCALENDAR", cal, "application/xml; charset=utf-8", []byte(body)); status != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d %s", status, resp)
	}
	filter := booking.AppointmentFilter{PatientID: f.patients[0].ID}
	list := f.appts(t, filter)
	data, _ := writeExport(t, t.TempDir(), "patient.ics", f.export(list))
	put := func(events map[string][]byte) {
		t.Helper()
		for uid, one := range events {
			// 201 Created for a new event; a replaced one may get 204 too.
			status, resp := r.do(t, "PUT", cal+strings.TrimSuffix(uid, "@kapbook")+".ics", "text/calendar; charset=utf-8", one)
			if status != http.StatusCreated && status != http.StatusNoContent {
				t.Fatalf("PUT %s: %d %s", uid, status, resp)
			}
		}
	}
	events := splitExportEvents(t, data)
	if len(events) != len(list) {
		t.Fatalf("split %d events, want %d", len(events), len(list))
	}
	put(events)

	found := r.query(t, cal, list[0].Start.Add(-24*time.Hour), list[len(list)-1].End.Add(24*time.Hour))
	if len(found) != len(list) {
		t.Fatalf("REPORT over the whole range found %d events, want %d", len(found), len(list))
	}
	for _, a := range list {
		uid := UID(f.instance, a.ID)
		c, err := ical.NewDecoder(strings.NewReader(found[uid])).Decode()
		if err != nil || len(c.Events()) != 1 {
			t.Fatalf("%s: Radicale returned %q (%v)", uid, found[uid], err)
		}
		start, err := c.Events()[0].Props.DateTime(ical.PropDateTimeStart, nil)
		if err != nil || !start.Equal(a.Start) {
			t.Errorf("%s: Radicale returned DTSTART %s (%v), want %s", uid, start, err, a.Start)
		}
		if _, ok := r.query(t, cal, a.Start, a.Start.Add(time.Minute))[uid]; !ok {
			t.Errorf("%s: not found in the minute from its start %s", uid, a.Start.UTC())
		}
		if _, ok := r.query(t, cal, a.Start.Add(-time.Minute), a.Start)[uid]; ok {
			t.Errorf("%s: found in the minute before its start %s", uid, a.Start.UTC())
		}
	}

	moved, cancelled := f.change(t, list)
	data, _ = writeExport(t, t.TempDir(), "patient.ics", f.export(f.appts(t, filter)))
	put(splitExportEvents(t, data))
	if n := len(r.query(t, cal, list[0].Start.Add(-24*time.Hour), list[len(list)-1].End.Add(30*24*time.Hour))); n != len(list) {
		t.Errorf("after the re-export Radicale holds %d events, want %d: a changed event must replace its old copy", n, len(list))
	}
	if _, ok := r.query(t, cal, moved.Start, moved.Start.Add(time.Minute))[UID(f.instance, moved.ID)]; !ok {
		t.Error("the moved appointment is not found at its new time")
	}
	got := r.query(t, cal, cancelled.Start, cancelled.End)[UID(f.instance, cancelled.ID)]
	c, err := ical.NewDecoder(strings.NewReader(got)).Decode()
	if err != nil || len(c.Events()) != 1 {
		t.Fatalf("cancelled appointment: Radicale returned %q (%v)", got, err)
	}
	ev := c.Events()[0]
	if s, _ := ev.Props.Text(ical.PropStatus); s != "CANCELLED" {
		t.Errorf("cancelled appointment: STATUS %q in Radicale", s)
	}
	if p := ev.Props.Get(ical.PropSequence); p == nil || p.Value != strconv.Itoa(cancelled.Sequence) {
		s := "none"
		if p != nil {
			s = p.Value
		}
		t.Errorf("cancelled appointment: SEQUENCE %q in Radicale, want %d", s, cancelled.Sequence)
	}
}

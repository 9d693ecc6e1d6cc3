package rulecheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// data is everything Check read, linked up.
type data struct {
	clinic     clinic
	staff      map[int64]*staffMember
	rooms      map[int64]*room
	protocols  map[protocolKey]*protocol
	series     []*series // by id
	seriesByID map[int64]*series
	appts      []*appt // by start, then id
	byID       map[int64]*appt
	audit      []auditEntry // by id; only the entries a rule reads
}

// protocolKey names one stored protocol version.
type protocolKey struct {
	id      string
	version int
}

// load reads every table the rules need, once each.
func load(ctx context.Context, db *sql.DB) (*data, error) {
	d := &data{}
	steps := []func(context.Context, *sql.DB) error{
		d.loadClinic, d.loadStaff, d.loadRooms, d.loadProtocols, d.loadSeries,
		d.loadAppointments, d.loadAppointmentStaff, d.loadAudit,
	}
	for _, step := range steps {
		if err := step(ctx, db); err != nil {
			return nil, err
		}
	}
	d.link()
	return d, nil
}

// query runs a SELECT and calls scan for each row.
func query(ctx context.Context, db *sql.DB, what, q string, scan func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("rulecheck: read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("rulecheck: read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rulecheck: read %s: %w", what, err)
	}
	return nil
}

// storedClinic is the clinic row's JSON.
type storedClinic struct {
	TimeZone        string              `json:"time_zone"`
	Hours           map[string][]string `json:"hours"`
	Closures        []struct{ From, To, Reason string }
	REMSCertified   bool `json:"rems_certified"`
	LateCancelHours int  `json:"late_cancel_hours"`
}

func (d *data) loadClinic(ctx context.Context, db *sql.DB) error {
	var zone, raw string
	if err := db.QueryRowContext(ctx, "SELECT time_zone, data FROM clinic WHERE id = 1").Scan(&zone, &raw); err != nil {
		return fmt.Errorf("rulecheck: read the clinic: %w", err)
	}
	var s storedClinic
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return fmt.Errorf("rulecheck: the clinic: %w", err)
	}
	if s.TimeZone != "" {
		zone = s.TimeZone
	}
	loc, err := location(zone)
	if err != nil {
		return fmt.Errorf("rulecheck: the clinic's time zone: %w", err)
	}
	c := clinic{loc: loc, remsCertified: s.REMSCertified, notice: 24 * 3600}
	if s.LateCancelHours > 0 {
		c.notice = int64(s.LateCancelHours) * 3600
	}
	if c.hours, err = parseWeekly(s.Hours); err != nil {
		return fmt.Errorf("rulecheck: the clinic's opening hours: %w", err)
	}
	for _, cl := range s.Closures {
		from, err1 := parseDate(cl.From)
		to, err2 := parseDate(cl.To)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("rulecheck: the clinic's closure %s to %s is not two dates", cl.From, cl.To)
		}
		c.closures = append(c.closures, closedDays{from, to, cl.Reason})
	}
	d.clinic = c
	return nil
}

// zones caches time zones by name: loading one reads the zone database.
var zones sync.Map

// location returns the IANA time zone name.
func location(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA time zone", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// storedStaff is a staff row's JSON.
type storedStaff struct {
	Roles          []string            `json:"roles"`
	Qualifications []string            `json:"qualifications"`
	Hours          map[string][]string `json:"hours"`
	TimeOff        []storedInterval    `json:"time_off"`
	Busy           []storedInterval    `json:"busy"`
}

// storedInterval is a stored span of time, end excluded.
type storedInterval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// timelineOf converts stored intervals to a timeline.
func timelineOf(list []storedInterval) timeline {
	ivs := make([]interval, len(list))
	for i, iv := range list {
		ivs[i] = interval{iv.Start.Unix(), iv.End.Unix()}
	}
	return newTimeline(ivs)
}

func (d *data) loadStaff(ctx context.Context, db *sql.DB) error {
	d.staff = map[int64]*staffMember{}
	return query(ctx, db, "staff", "SELECT id, name, data FROM staff", func(rows *sql.Rows) error {
		m := &staffMember{}
		var raw string
		if err := rows.Scan(&m.id, &m.name, &raw); err != nil {
			return err
		}
		var s storedStaff
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return fmt.Errorf("staff %d: %w", m.id, err)
		}
		hours, err := parseWeekly(s.Hours)
		if err != nil {
			return fmt.Errorf("the working hours of staff %d: %w", m.id, err)
		}
		m.roles, m.qualifications, m.hours = s.Roles, s.Qualifications, hours
		m.timeOff, m.busy = timelineOf(s.TimeOff), timelineOf(s.Busy)
		d.staff[m.id] = m
		return nil
	})
}

func (d *data) loadRooms(ctx context.Context, db *sql.DB) error {
	d.rooms = map[int64]*room{}
	return query(ctx, db, "rooms", "SELECT id, name, data FROM rooms", func(rows *sql.Rows) error {
		r := &room{}
		var raw string
		if err := rows.Scan(&r.id, &r.name, &raw); err != nil {
			return err
		}
		var s struct {
			Kind      string   `json:"kind"`
			Equipment []string `json:"equipment"`
		}
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return fmt.Errorf("room %d: %w", r.id, err)
		}
		r.kind, r.equipment = s.Kind, s.Equipment
		d.rooms[r.id] = r
		return nil
	})
}

func (d *data) loadProtocols(ctx context.Context, db *sql.DB) error {
	d.protocols = map[protocolKey]*protocol{}
	return query(ctx, db, "protocol versions", "SELECT protocol_id, version, data FROM protocol_versions", func(rows *sql.Rows) error {
		var k protocolKey
		var raw string
		if err := rows.Scan(&k.id, &k.version, &raw); err != nil {
			return err
		}
		p := &protocol{}
		if err := json.Unmarshal([]byte(raw), p); err != nil {
			return fmt.Errorf("protocol %s version %d: %w", k.id, k.version, err)
		}
		for i := range p.Steps {
			s := &p.Steps[i]
			s.latestEnd = -1
			if s.LatestEnd == "" {
				continue
			}
			end, err := parseClock(s.LatestEnd)
			if err != nil {
				return fmt.Errorf("protocol %s version %d, step %s: latest end: %w", k.id, k.version, s.ID, err)
			}
			s.latestEnd = end
		}
		d.protocols[k] = p
		return nil
	})
}

func (d *data) loadSeries(ctx context.Context, db *sql.DB) error {
	d.seriesByID = map[int64]*series{}
	return query(ctx, db, "series", `SELECT id, patient_id, protocol_id, protocol_version, coalesce(therapist_id, 0),
		from_date, step, created FROM series ORDER BY id`, func(rows *sql.Rows) error {
		s := &series{}
		var from string
		if err := rows.Scan(&s.id, &s.patient, &s.protocolID, &s.version, &s.therapist, &from, &s.adHocStep, &s.created); err != nil {
			return err
		}
		var err error
		if s.from, err = parseDate(from); err != nil {
			return fmt.Errorf("series %d: %w", s.id, err)
		}
		d.series = append(d.series, s)
		d.seriesByID[s.id] = s
		return nil
	})
}

// The pure-Go SQLite driver costs about a fifth of a microsecond per
// column of a row read: a clinic year's appointments, 20 columns each,
// took 5 ms to read row by row. So the two big tables come as one text
// value that SQLite joins (group_concat), split here: about 1.5 ms. The
// fields are ids, numbers and lower-case words, which never hold these
// separators.
const (
	fieldSep  = "\x1f" // ASCII unit separator, char(31): between the fields of a row
	recordSep = "\x1e" // ASCII record separator, char(30): between rows
)

// joinedRows runs q, which returns one text value (or NULL for no rows):
// rows joined by recordSep, each row's fields joined by fieldSep. It calls
// row with the fields of each row; each row must have width fields.
func joinedRows(ctx context.Context, db *sql.DB, what, q string, width int, row func(f []string) error) error {
	var joined sql.NullString
	if err := db.QueryRowContext(ctx, q).Scan(&joined); err != nil {
		return fmt.Errorf("rulecheck: read %s: %w", what, err)
	}
	if joined.String == "" {
		return nil
	}
	for _, r := range strings.Split(joined.String, recordSep) {
		f := strings.Split(r, fieldSep)
		if len(f) != width {
			return fmt.Errorf("rulecheck: read %s: a row has %d fields, not %d: %q", what, len(f), width, r)
		}
		if err := row(f); err != nil {
			return fmt.Errorf("rulecheck: read %s: %w", what, err)
		}
	}
	return nil
}

// numbers parses decimal integers, keeping the first error.
type numbers struct{ err error }

// int64 parses s.
func (p *numbers) int64(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && p.err == nil {
		p.err = err
	}
	return v
}

// int parses s.
func (p *numbers) int(s string) int { return int(p.int64(s)) }

// appointmentsQuery reads every appointment as one joined text value.
const appointmentsQuery = `SELECT group_concat(concat_ws(char(31), id, coalesce(series_id, 0), patient_id, step, kind,
	idx, count, seq, start_unix, end_unix, coalesce(room_id, 0), room_before, room_after, staff_before, staff_after,
	status, updated, needs_rems != 0, cancelled_by, coalesce(makeup_of, 0)), char(30))
	FROM appointments`

func (d *data) loadAppointments(ctx context.Context, db *sql.DB) error {
	d.byID = map[int64]*appt{}
	err := joinedRows(ctx, db, "appointments", appointmentsQuery, 20, func(f []string) error {
		var p numbers
		a := &appt{
			id: p.int64(f[0]), series: p.int64(f[1]), patient: p.int64(f[2]), step: f[3], kind: f[4],
			index: p.int(f[5]), count: p.int(f[6]), seq: p.int(f[7]), start: p.int64(f[8]), end: p.int64(f[9]),
			roomID: p.int64(f[10]), roomBefore: p.int(f[11]), roomAfter: p.int(f[12]), staffBefore: p.int(f[13]), staffAfter: p.int(f[14]),
			status: status(f[15]), updated: p.int64(f[16]), needsREMS: f[17] == "1", cancelledBy: f[18], makeupOf: p.int64(f[19]),
		}
		if p.err != nil {
			return p.err
		}
		a.locate(d.clinic.loc)
		d.appts = append(d.appts, a)
		d.byID[a.id] = a
		return nil
	})
	sort.Slice(d.appts, func(i, j int) bool {
		if d.appts[i].start != d.appts[j].start {
			return d.appts[i].start < d.appts[j].start
		}
		return d.appts[i].id < d.appts[j].id
	})
	return err
}

// appointmentStaffQuery reads who takes part in every appointment as one
// joined text value.
const appointmentStaffQuery = `SELECT group_concat(concat_ws(char(31), appointment_id, position, staff_id), char(30))
	FROM appointment_staff`

func (d *data) loadAppointmentStaff(ctx context.Context, db *sql.DB) error {
	return joinedRows(ctx, db, "appointment staff", appointmentStaffQuery, 3, func(f []string) error {
		var p numbers
		id, pos, staff := p.int64(f[0]), p.int(f[1]), p.int64(f[2])
		if p.err != nil {
			return p.err
		}
		a := d.byID[id]
		if a == nil || pos < 0 || pos > 100 {
			return nil
		}
		for len(a.staff) <= pos {
			a.staff = append(a.staff, 0) // 0: nobody at that position
		}
		a.staff[pos] = staff
		return nil
	})
}

// auditQuery reads the audit entries the rules need: overrides, REMS
// enrolments, patients added with consents, and the entries that book,
// move, make up or check in an appointment that needs REMS (only those
// mention needs_rems). A state_after is read only when a rule parses it.
const auditQuery = `SELECT id, action, coalesce(patient_id, 0), coalesce(series_id, 0), coalesce(appointment_id, 0),
	CASE WHEN action = 'override' AND instr(state_after, 'needs_rems') = 0 THEN '' ELSE state_after END, note
	FROM audit
	WHERE action = 'override' OR (action = 'consent' AND note = 'rems-enrolled') OR (action = 'patient-add' AND state_after != '')
	OR (action IN ('book', 'reschedule', 'makeup', 'status') AND instr(state_after, 'needs_rems') > 0)
	ORDER BY id`

func (d *data) loadAudit(ctx context.Context, db *sql.DB) error {
	return query(ctx, db, "the audit trail", auditQuery, func(rows *sql.Rows) error {
		var e auditEntry
		if err := rows.Scan(&e.id, &e.action, &e.patient, &e.series, &e.appointment, &e.after, &e.note); err != nil {
			return err
		}
		d.audit = append(d.audit, e)
		return nil
	})
}

// link gives each series its layout and its appointments, and each
// appointment its place.
func (d *data) link() {
	layouts := map[layoutKey]*layout{}
	for _, s := range d.series {
		s.layout = d.layoutOf(s, layouts)
	}
	for _, a := range d.appts {
		s := d.seriesByID[a.series]
		if s == nil {
			continue
		}
		s.appts = append(s.appts, a)
		if pl := s.layout.at(a.seq); pl != nil && pl.fits(a) {
			a.place = pl
		}
	}
	for _, s := range d.series {
		sort.Slice(s.appts, func(i, j int) bool {
			if s.appts[i].seq != s.appts[j].seq {
				return s.appts[i].seq < s.appts[j].seq
			}
			return s.appts[i].id < s.appts[j].id
		})
	}
}

// layoutKey names the layout of a protocol version, or of one step of it
// booked ad hoc.
type layoutKey struct {
	protocolKey
	adHocStep string
}

// layoutOf returns the layout of the series' protocol version, made once
// per version; nil when the version or the ad-hoc step is missing.
func (d *data) layoutOf(s *series, cache map[layoutKey]*layout) *layout {
	k := layoutKey{protocolKey{s.protocolID, s.version}, s.adHocStep}
	if l, ok := cache[k]; ok {
		return l
	}
	p := d.protocols[k.protocolKey]
	if p != nil && s.adHocStep != "" {
		p = adHoc(p, s.adHocStep)
	}
	var l *layout
	if p != nil {
		l = newLayout(p)
	}
	cache[k] = l
	return l
}

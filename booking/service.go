package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Service carries out the front desk's actions against a Store: each one
// checks the rules, changes the store in one transaction and appends to the
// audit trail.
type Service struct {
	Store Store
	Now   func() time.Time // defaults to time.Now
	Actor string           // who is acting: a staff name or the OS user
	// Messages, when set, decides when reminders and preparation messages
	// are due, whatever the clinic's settings; nil means the clinic's
	// (Clinic.Messages), else DefaultMessagePolicy.
	Messages *MessagePolicy
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// BookRequest asks for a series to be planned and booked.
type BookRequest struct {
	PatientID   int64
	ProtocolID  string
	From        Date // 0: today in the clinic's zone
	TherapistID int64
	// Step books one ad-hoc appointment of that protocol step instead of
	// the whole series.
	Step         string
	AllowVideo   bool
	SkipOptional bool
	SlackDays    *int
	DryRun       bool // plan only, store nothing
	// Reason is why the series is booked while the patient has another
	// active one; required then, and recorded as an override.
	Reason string
}

// world loads what the planner needs for appointments between from and to,
// leaving out the blocks of the appointments in skip.
func (s *Service) world(ctx context.Context, r Reader, from, to time.Time, skip map[int64]bool) (World, error) {
	c, err := r.Clinic(ctx)
	if err != nil {
		return World{}, err
	}
	staff, err := r.StaffList(ctx)
	if err != nil {
		return World{}, err
	}
	rooms, err := r.Rooms(ctx)
	if err != nil {
		return World{}, err
	}
	blocks, err := r.Blocks(ctx, from.Add(-24*time.Hour), to.Add(48*time.Hour))
	if err != nil {
		return World{}, err
	}
	if len(skip) > 0 {
		blocks = slices.DeleteFunc(blocks, func(b Block) bool { return skip[b.AppointmentID] })
	}
	w := World{Clinic: c, Staff: staff, Rooms: rooms, blocks: blocks, Load: load(c, staff, blocks, from, to)}
	return w.with(), nil
}

// load returns how booked each staff member is between from and to, in
// thousandths of their working time: a therapist who works three days a
// week is as busy with half the bookings of one who works six.
func load(c *Clinic, staff []*Staff, blocks []Block, from, to time.Time) map[int64]int {
	booked := map[int64]int64{}
	for _, b := range blocks {
		if b.Resource.Kind == StaffResource {
			booked[b.Resource.ID] += (b.End - b.Start) / 60
		}
	}
	loc := c.Location()
	out := make(map[int64]int, len(staff))
	for _, m := range staff {
		working := int64(0)
		for d := DateOf(from.In(loc)); d <= DateOf(to.In(loc)); d++ {
			for _, sp := range m.Hours.On(d.Weekday()) {
				working += int64(sp.End - sp.Start)
			}
		}
		if working > 0 {
			out[m.ID] = int(booked[m.ID] * 1000 / working)
		}
	}
	return out
}

// with returns the world with more blocks booked. Booked, the bookings
// alone, is left for the planner to index when an override asks.
func (w World) with(more ...Block) World {
	w.blocks = append(slices.Clip(w.blocks), more...)
	w.Busy, w.Booked = NewIndex(w.blocks, w.Staff), nil
	return w
}

// adHoc returns a protocol of one appointment of the given step.
func adHoc(p *Protocol, stepID string) (*Protocol, error) {
	st := p.Step(stepID)
	if st == nil {
		return nil, Errorf(ENOTFOUND, "Protocol %s has no step %q.", p.ID, Clip(stepID, 40))
	}
	one := *st
	one.Count, one.After, one.AfterEach, one.Gap, one.RepeatGap, one.BeforeNext, one.WithinDays = 1, "", "", nil, nil, false, 0
	q := *p
	q.Steps = []Step{one}
	return &q, nil
}

// BookSeries plans and books a whole series (or, with Step, one ad-hoc
// appointment) in one transaction: the plan is made inside it, so two
// workstations booking at once can never double-book, and the second one
// gets the next free plan. In the same transaction it queues the series'
// confirmation, due now, and each appointment's reminder and preparation
// message (see MessagePolicy.Plan). With DryRun it only plans.
func (s *Service) BookSeries(ctx context.Context, req BookRequest) (*Series, error) {
	var out *Series
	var pat *Patient
	var loc *time.Location
	var active []*Series
	plan := func(ctx context.Context, r Reader) error {
		var err error
		pat, err = r.Patient(ctx, req.PatientID)
		if err != nil {
			return err
		}
		pr, err := r.Protocol(ctx, req.ProtocolID)
		if err != nil {
			return err
		}
		if req.Step != "" {
			if pr, err = adHoc(pr, req.Step); err != nil {
				return err
			}
		}
		c, err := r.Clinic(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		from := req.From
		if today := DateOf(now.In(c.Location())); from < today {
			if from != 0 {
				return Errorf(EINVALID, "The start date %s is in the past.", from)
			}
			from = today
		}
		loc = c.Location()
		w, err := s.world(ctx, r, from.At(0, loc), (from+Date(pr.WindowDays)).At(0, loc), nil)
		if err != nil {
			return err
		}
		if err := checkTherapist(w.Staff, req.TherapistID); err != nil {
			return err
		}
		if active, err = s.activeSeries(ctx, r, pat, req.Reason); err != nil {
			return err
		}
		doses, err := s.otherDoses(ctx, r, pat.ID, 0)
		if err != nil {
			return err
		}
		p, err := PlanSeries(w, PlanRequest{Patient: pat, Protocol: pr, From: from, Now: now, TherapistID: req.TherapistID,
			AllowVideo: req.AllowVideo, SkipOptional: req.SkipOptional, SlackDays: req.SlackDays, Doses: doses})
		if err != nil {
			return err
		}
		appts := slices.DeleteFunc(slices.Clone(p.Appts), func(a *Appointment) bool { return a == nil })
		out = &Series{PatientID: pat.ID, ProtocolID: pr.ID, ProtocolVersion: pr.Version, TherapistID: p.TherapistID, From: from, Created: now, Step: req.Step, Appts: appts}
		for _, a := range out.Appts {
			a.Created, a.Updated = now, now
		}
		return nil
	}
	if req.DryRun {
		return out, plan(ctx, s.Store)
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		if err := plan(ctx, tx); err != nil {
			return err
		}
		if err := tx.CreateSeries(ctx, out); err != nil {
			return err
		}
		if err := s.queueBooked(ctx, tx, pat, out, loc); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "book", PatientID: out.PatientID,
			SeriesID: out.ID, After: auditJSON(out.Appts), Note: fmt.Sprintf("%s, %d appointments", out.ProtocolID, len(out.Appts))}); err != nil {
			return err
		}
		return s.auditConcurrent(ctx, tx, out, active, req.Reason)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetEscort records who takes the patient home after a visit.
func (s *Service) SetEscort(ctx context.Context, apptID int64, e Escort) (*Appointment, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	var out *Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Appointment(ctx, apptID)
		if err != nil {
			return err
		}
		if !a.Status.Active() {
			return Errorf(ECONFLICT, "This appointment was cancelled.")
		}
		before := auditJSON(a)
		a.Escort = &e
		a.Updated = s.now()
		if err := tx.UpdateAppointment(ctx, a); err != nil {
			return err
		}
		out = a
		return appendAudit(ctx, tx, &AuditEntry{At: a.Updated, Actor: s.Actor, Action: "escort", PatientID: a.PatientID,
			SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a)})
	})
	return out, err
}

// AddPatient validates and stores a new patient.
func (s *Service) AddPatient(ctx context.Context, p *Patient) error {
	p.Name = strings.TrimSpace(p.Name)
	p.Email = strings.TrimSpace(p.Email)
	p.Phone = strings.TrimSpace(p.Phone)
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Created.IsZero() {
		p.Created = s.now()
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		if err := tx.SavePatient(ctx, p); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "patient-add", PatientID: p.ID})
	})
}

// appendAudit appends an entry to the audit trail, refusing an actor name that
// could not be shown safely.
func appendAudit(ctx context.Context, tx Tx, e *AuditEntry) error {
	if err := checkText("The name of who is acting", e.Actor, 100, true); err != nil {
		return err
	}
	return tx.AddAudit(ctx, e)
}

// auditJSON renders a value for the audit trail's before and after.
func auditJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// InitClinic fills a new database with a clinic, its staff and rooms, and
// protocols, in one transaction.
func InitClinic(ctx context.Context, st Store, f *ClinicFile, protocols []*Protocol, actor string, now time.Time) error {
	return st.Update(ctx, func(tx Tx) error {
		if _, err := tx.Clinic(ctx); err == nil {
			return Errorf(ECONFLICT, "This database already has a clinic.")
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		if err := tx.SaveClinic(ctx, &f.Clinic); err != nil {
			return err
		}
		for i := range f.Staff {
			if err := tx.SaveStaff(ctx, &f.Staff[i]); err != nil {
				return err
			}
		}
		for i := range f.Rooms {
			if err := tx.SaveRoom(ctx, &f.Rooms[i]); err != nil {
				return err
			}
		}
		for _, p := range protocols {
			if err := tx.SaveProtocol(ctx, p); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: actor, Action: "init", Note: f.Clinic.Name})
	})
}

// ProtocolSaved says what SaveProtocol did.
type ProtocolSaved struct {
	// Version is the protocol's current version.
	Version int
	// Changed is false when the protocol was saved unchanged: nothing was
	// stored.
	Changed bool
	// OlderActive counts the active series (an appointment booked or under
	// way) that keep an older version's rules.
	OlderActive int
}

// ProtocolSavedWords says what saving p did, for the front desk: "Saved
// protocol kap-standard as version 2 (15 appointments). 3 active series
// keep version 1's rules; new bookings follow version 2."
func ProtocolSavedWords(p *Protocol, saved *ProtocolSaved) string {
	if !saved.Changed {
		return fmt.Sprintf("Protocol %s is unchanged (version %d); nothing was saved.", p.ID, saved.Version)
	}
	s := fmt.Sprintf("Saved protocol %s as version %d (%s).", p.ID, saved.Version, count(len(Instances(p)), "appointments"))
	switch saved.OlderActive {
	case 0:
	case 1:
		s += fmt.Sprintf(" 1 active series keeps the rules of the version it was booked under; new bookings follow version %d.", saved.Version)
	default:
		s += fmt.Sprintf(" %d active series keep the rules of the version they were booked under; new bookings follow version %d.", saved.OlderActive, saved.Version)
	}
	return s
}

// SaveProtocol validates and stores a protocol: a new one as version 1, a
// changed one as its next version, with an audit entry; saving it
// unchanged stores nothing. Booked series keep the version they were
// booked under. Returns EINVALID for a protocol that fails validation.
func (s *Service) SaveProtocol(ctx context.Context, p *Protocol) (*ProtocolSaved, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := &ProtocolSaved{}
	err := s.Store.Update(ctx, func(tx Tx) error {
		before := ""
		old, err := tx.Protocol(ctx, p.ID)
		switch {
		case err == nil:
			cur, next := *old, *p
			cur.Version, next.Version = 0, 0
			if auditJSON(&cur) == auditJSON(&next) {
				p.Version, out.Version = old.Version, old.Version
				return nil
			}
			before = auditJSON(old)
		case ErrorCode(err) != ENOTFOUND:
			return err
		}
		if err := tx.SaveProtocol(ctx, p); err != nil {
			return err
		}
		out.Version, out.Changed = p.Version, true
		active, err := tx.SeriesList(ctx, SeriesFilter{ProtocolID: p.ID, Active: true})
		if err != nil {
			return err
		}
		for _, sr := range active {
			if sr.ProtocolVersion < p.Version {
				out.OlderActive++
			}
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "protocol", Before: before, After: auditJSON(p),
			Note: fmt.Sprintf("%s version %d", p.ID, p.Version)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

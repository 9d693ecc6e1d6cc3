package booking

import (
	"context"
	"slices"
	"time"
)

// The kinds of patient email an OutboxMessage can be.
const (
	MessageConfirmation = "confirmation" // a series was booked
	MessageReminder     = "reminder"     // an appointment is coming up
	MessagePreparation  = "preparation"  // how to prepare for a dosing or infusion visit
	MessageUpdate       = "update"       // an appointment moved
	MessageCancellation = "cancellation" // an appointment or the rest of a series was cancelled
)

// The states of an OutboxMessage. Pending and sending messages may still
// go out; the others are final.
const (
	OutboxPending   = "pending"   // waiting for its due time
	OutboxSending   = "sending"   // claimed by a dispatcher
	OutboxSent      = "sent"      // accepted by the mail server
	OutboxFailed    = "failed"    // given up: the reason is in LastError
	OutboxCancelled = "cancelled" // no longer needed: the appointment moved or was cancelled
	OutboxSkipped   = "skipped"   // never sent, for the reason in Note
)

// NoEmailNote is the note on a message that was not sent because the
// patient asked for no email, so the front desk sees why.
const NoEmailNote = "patient asked for no email"

var (
	messageKinds  = []string{MessageConfirmation, MessageReminder, MessagePreparation, MessageUpdate, MessageCancellation}
	messageStates = []string{OutboxPending, OutboxSending, OutboxSent, OutboxFailed, OutboxCancelled, OutboxSkipped}
)

// OutboxMessage is one email to a patient, queued in the same transaction
// as the booking change that calls for it. It holds no text: the message
// is rendered from the current appointment when it is sent.
type OutboxMessage struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"` // confirmation, reminder, preparation, update or cancellation
	PatientID     int64     `json:"patient_id"`
	SeriesID      int64     `json:"series_id,omitempty"`
	AppointmentID int64     `json:"appointment_id,omitempty"` // 0: about the whole series
	State         string    `json:"state"`                    // pending, sending, sent, failed, cancelled or skipped
	Due           time.Time `json:"due"`                      // not to be sent before
	Attempts      int       `json:"attempts"`
	NextAttempt   time.Time `json:"next_attempt,omitzero"` // zero: as soon as it is due
	LastError     string    `json:"last_error,omitempty"`
	MessageID     string    `json:"message_id,omitempty"` // the Message-ID header once sent
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	Note          string    `json:"note,omitempty"` // why it was skipped or cancelled
	// SentCopy is the message as it went out, gzip-compressed RFC 5322
	// bytes, kept once it is sent so that the Outbox shows what the
	// patient got rather than a message composed again from today's data.
	// Stored with the outcome of its sending; read only with
	// OutboxFilter.WithCopy. UpdateOutbox keeps the stored copy when it is
	// empty.
	SentCopy []byte `json:"-"`
	// Changed, for an update about a whole series, are the appointments
	// that moved or were added, which the message marks among the rest.
	Changed []int64 `json:"changed,omitempty"`
}

// Validate checks the message's kind, state, patient and due time.
func (m *OutboxMessage) Validate() error {
	switch {
	case m == nil:
		return Errorf(EINVALID, "The outbox message is missing.")
	case !slices.Contains(messageKinds, m.Kind):
		return Errorf(EINVALID, "%q is not a kind of patient email; use confirmation, reminder, preparation, update or cancellation.", Clip(m.Kind, 30))
	case !slices.Contains(messageStates, m.State):
		return Errorf(EINVALID, "%q is not an outbox state; use pending, sending, sent, failed, cancelled or skipped.", Clip(m.State, 30))
	case m.PatientID == 0:
		return Errorf(EINVALID, "An outbox message needs the patient it goes to.")
	case m.Due.IsZero():
		return Errorf(EINVALID, "An outbox message needs the time it is due.")
	case m.Attempts < 0:
		return Errorf(EINVALID, "An outbox message cannot have a negative number of attempts.")
	}
	return nil
}

// OutboxFilter selects outbox messages. Zero fields do not filter.
type OutboxFilter struct {
	ID            int64 // one message
	State         string
	PatientID     int64
	SeriesID      int64
	AppointmentID int64
	DueFrom       time.Time // only messages due at or after this
	DueBefore     time.Time // only messages due strictly before this
	Limit         int
	WithCopy      bool // read each message's SentCopy too
}

// MessagePolicy decides when the messages about one appointment are due.
// A zero ReminderBefore or PreparationBefore turns that message off; equal
// QuietStart and QuietEnd mean no quiet hours.
type MessagePolicy struct {
	// ReminderBefore is how long before every appointment its reminder is
	// due, in real elapsed time: across a daylight-saving change a reminder
	// 48 h before a 09:00 appointment is due at 08:00 or 10:00 wall-clock
	// time two days earlier, never later than 48 h before.
	ReminderBefore time.Duration
	// PreparationBefore is how long before an appointment of one of the
	// PreparationKinds its preparation message is due, in real time.
	PreparationBefore time.Duration
	// PreparationKinds are the appointment kinds that get a preparation
	// message (esketamine sessions are of kind dosing).
	PreparationKinds []Kind
	// QuietStart and QuietEnd bound the quiet hours, clinic time; they may
	// wrap past midnight (21:00 to 08:00). A message due within them waits
	// until QuietEnd, unless that is not before the appointment: then it is
	// due in the last minute before the quiet hours began.
	QuietStart, QuietEnd Clock
}

// DefaultMessagePolicy returns the defaults of docs/email.md: a
// reminder 48 h before every appointment, preparation 24 h before dosing
// and infusion visits, quiet hours 21:00 to 08:00.
func DefaultMessagePolicy() MessagePolicy {
	return MessagePolicy{
		ReminderBefore:    48 * time.Hour,
		PreparationBefore: 24 * time.Hour,
		PreparationKinds:  []Kind{KindDosing, KindInfusion},
		QuietStart:        21 * 60,
		QuietEnd:          8 * 60,
	}
}

// Plan returns the pending reminder and, for the preparation kinds, the
// preparation message of one booked appointment, in that order, with Due
// set and moved out of quiet hours in loc. A message whose due time is
// before now is left out: the confirmation or update the patient gets now
// already tells them. An appointment that is not booked gets none.
func (p MessagePolicy) Plan(a *Appointment, loc *time.Location, now time.Time) []*OutboxMessage {
	if a == nil || a.Status != Booked {
		return nil
	}
	var out []*OutboxMessage
	add := func(kind string, before time.Duration) {
		if before <= 0 {
			return
		}
		due, ok := p.due(a.Start.Add(-before), a.Start, loc)
		if !ok || due.Before(now) {
			return
		}
		out = append(out, &OutboxMessage{Kind: kind, PatientID: a.PatientID, SeriesID: a.SeriesID, AppointmentID: a.ID,
			State: OutboxPending, Due: due, Created: now, Updated: now})
	}
	add(MessageReminder, p.ReminderBefore)
	if slices.Contains(p.PreparationKinds, a.Kind) {
		add(MessagePreparation, p.PreparationBefore)
	}
	return out
}

// due moves t out of the quiet hours: to their end, or, if that is not
// before start, to the last minute before they began. It reports false
// when t is not before start.
func (p MessagePolicy) due(t, start time.Time, loc *time.Location) (time.Time, bool) {
	if !t.Before(start) {
		return time.Time{}, false
	}
	qStart, qEnd, quiet := p.quiet(t, loc)
	if !quiet {
		return t, true
	}
	if qEnd.Before(start) {
		return qEnd, true
	}
	return qStart.Add(-time.Minute), true
}

// quiet reports whether t falls within quiet hours, and if so when that
// quiet period starts and ends. Wall-clock times are kept across
// daylight-saving changes.
func (p MessagePolicy) quiet(t time.Time, loc *time.Location) (start, end time.Time, ok bool) {
	qs, qe := p.QuietStart, p.QuietEnd
	if qs == qe {
		return time.Time{}, time.Time{}, false
	}
	local := t.In(loc)
	d, c := DateOf(local), ClockOf(local)
	switch {
	case qs < qe && c >= qs && c < qe:
		return d.At(qs, loc), d.At(qe, loc), true
	case qs > qe && c >= qs:
		return d.At(qs, loc), (d + 1).At(qe, loc), true
	case qs > qe && c < qe:
		return (d - 1).At(qs, loc), d.At(qe, loc), true
	}
	return time.Time{}, time.Time{}, false
}

// MessageSettings are a clinic's own choices of when patient email is
// due, stored with the clinic. A nil field keeps DefaultMessagePolicy's
// value.
type MessageSettings struct {
	// ReminderHours is how many hours before every appointment its
	// reminder is due; 0 sends no reminders.
	ReminderHours *int `json:"reminder_hours,omitempty"`
	// PreparationHours is how many hours before an appointment of one of
	// PreparationKinds its preparation message is due; 0 sends none.
	PreparationHours *int `json:"preparation_hours,omitempty"`
	// PreparationKinds are the appointment kinds (protocol step kinds,
	// such as dosing) that get a preparation message.
	PreparationKinds []Kind `json:"preparation_kinds,omitempty"`
	// QuietStart and QuietEnd bound the quiet hours, clinic time; set
	// both or neither. Equal times mean no quiet hours.
	QuietStart *Clock `json:"quiet_start,omitempty"`
	QuietEnd   *Clock `json:"quiet_end,omitempty"`
}

// MaxMessageHours is the longest lead time of a reminder or a preparation
// message: two weeks.
const MaxMessageHours = 14 * 24

// Validate checks the settings, with messages for the front desk.
func (m *MessageSettings) Validate() error {
	for _, h := range []struct {
		what string
		v    *int
	}{{"reminder", m.ReminderHours}, {"preparation message", m.PreparationHours}} {
		if h.v != nil && (*h.v < 0 || *h.v > MaxMessageHours) {
			return Errorf(EINVALID, "The %s lead time must be between 0 (none) and %d hours; %d is not.", h.what, MaxMessageHours, *h.v)
		}
	}
	for _, k := range m.PreparationKinds {
		if !k.valid() {
			return Errorf(EINVALID, "%q is not an appointment kind; use the kinds of the protocols' steps, such as dosing or infusion.", Clip(string(k), 30))
		}
	}
	if (m.QuietStart == nil) != (m.QuietEnd == nil) {
		return Errorf(EINVALID, "Quiet hours need both a start and an end, such as 21:00-08:00.")
	}
	for _, c := range []*Clock{m.QuietStart, m.QuietEnd} {
		if c != nil && (*c < 0 || *c >= 24*60) {
			return Errorf(EINVALID, "Quiet hours start and end between 00:00 and 23:59.")
		}
	}
	return nil
}

// Policy returns the message policy these settings describe: the defaults
// with every set field replaced. A nil m gives DefaultMessagePolicy.
func (m *MessageSettings) Policy() MessagePolicy {
	p := DefaultMessagePolicy()
	if m == nil {
		return p
	}
	if m.ReminderHours != nil {
		p.ReminderBefore = time.Duration(*m.ReminderHours) * time.Hour
	}
	if m.PreparationHours != nil {
		p.PreparationBefore = time.Duration(*m.PreparationHours) * time.Hour
	}
	if m.PreparationKinds != nil {
		p.PreparationKinds = slices.Clone(m.PreparationKinds)
	}
	if m.QuietStart != nil && m.QuietEnd != nil {
		p.QuietStart, p.QuietEnd = *m.QuietStart, *m.QuietEnd
	}
	return p
}

// SetMessagePolicy saves when the clinic's reminders and preparation
// messages are due (nil: the defaults), with an audit entry. Messages
// already queued keep their due times; new bookings and moves use the new
// policy. Returns EINVALID for settings that fail validation.
func (s *Service) SetMessagePolicy(ctx context.Context, m *MessageSettings) error {
	if m != nil {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		before := auditJSON(c.Messages)
		c.Messages = m
		if err := tx.SaveClinic(ctx, c); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "message-policy", Before: before, After: auditJSON(m)})
	})
}

// policy returns the message policy for queuing in tx: the service's
// Messages when set (an override for tests and tools), else the clinic's
// settings as stored, else the defaults.
func (s *Service) policy(ctx context.Context, tx Reader) (MessagePolicy, error) {
	if s.Messages != nil {
		return *s.Messages, nil
	}
	c, err := tx.Clinic(ctx)
	if err != nil {
		return MessagePolicy{}, err
	}
	return c.Messages.Policy(), nil
}

// queue adds a message to the outbox, as skipped with the reason when the
// patient asked for no email, so the front desk sees what was not sent.
func queue(ctx context.Context, tx Tx, pat *Patient, m *OutboxMessage) error {
	if pat != nil && pat.Consents.NoEmail != nil && m.State == OutboxPending {
		m.State, m.Note = OutboxSkipped, NoEmailNote
	}
	return tx.AddOutbox(ctx, m)
}

// queueBooked queues the confirmation of a newly booked series, due now,
// and the reminders and preparation messages of its appointments.
func (s *Service) queueBooked(ctx context.Context, tx Tx, pat *Patient, sr *Series, loc *time.Location) error {
	now := s.now()
	if err := queue(ctx, tx, pat, &OutboxMessage{Kind: MessageConfirmation, PatientID: sr.PatientID, SeriesID: sr.ID,
		State: OutboxPending, Due: now, Created: now, Updated: now}); err != nil {
		return err
	}
	return s.queuePlanned(ctx, tx, pat, sr.Appts, loc, now)
}

// queuePlanned queues the reminders and preparation messages of appts.
func (s *Service) queuePlanned(ctx context.Context, tx Tx, pat *Patient, appts []*Appointment, loc *time.Location, now time.Time) error {
	p, err := s.policy(ctx, tx)
	if err != nil {
		return err
	}
	for _, a := range appts {
		for _, m := range p.Plan(a, loc, now) {
			if err := queue(ctx, tx, pat, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueChanged re-times the messages of a change to a series: the moved
// appointments' pending reminders, preparation messages and updates are
// cancelled and queued anew for their new times, the new appointments
// (make-ups) get theirs, and the patient gets one message for the whole
// action: a confirmation of the one new appointment, an update about the
// one moved appointment, or, when more changed, an update about the series
// (replacing a pending update about the series).
func (s *Service) queueChanged(ctx context.Context, tx Tx, pat *Patient, seriesID int64, created, moved []*Appointment, loc *time.Location, now time.Time) error {
	if len(created)+len(moved) == 0 {
		return nil
	}
	for _, a := range moved {
		if err := cancelPending(ctx, tx, a.ID, "appointment moved", now); err != nil {
			return err
		}
	}
	if err := s.queuePlanned(ctx, tx, pat, append(slices.Clip(created), moved...), loc, now); err != nil {
		return err
	}
	m := &OutboxMessage{Kind: MessageUpdate, PatientID: pat.ID, SeriesID: seriesID, State: OutboxPending, Due: now, Created: now, Updated: now}
	switch {
	case len(created) == 1 && len(moved) == 0:
		m.Kind, m.AppointmentID = MessageConfirmation, created[0].ID
	case len(created) == 0 && len(moved) == 1:
		m.AppointmentID = moved[0].ID
	default:
		// The message marks what changed, including what the pending update
		// it replaces was to tell.
		earlier, err := cancelSeriesUpdates(ctx, tx, seriesID, "replaced by a newer update", now)
		if err != nil {
			return err
		}
		for _, a := range append(slices.Clip(created), moved...) {
			earlier = append(earlier, a.ID)
		}
		slices.Sort(earlier)
		m.Changed = slices.Compact(earlier)
	}
	return queue(ctx, tx, pat, m)
}

// queueCancelled cancels the pending messages of the cancelled
// appointments and queues one cancellation for the action: about the
// series when seriesID is set (cancelling its pending series-level
// updates too), otherwise about the one appointment.
func (s *Service) queueCancelled(ctx context.Context, tx Tx, cancelled []*Appointment, seriesID int64, now time.Time) error {
	if len(cancelled) == 0 {
		return nil
	}
	for _, a := range cancelled {
		if err := cancelPending(ctx, tx, a.ID, "appointment cancelled", now); err != nil {
			return err
		}
	}
	a := cancelled[0]
	pat, err := tx.Patient(ctx, a.PatientID)
	if err != nil {
		return err
	}
	m := &OutboxMessage{Kind: MessageCancellation, PatientID: a.PatientID, SeriesID: a.SeriesID, AppointmentID: a.ID,
		State: OutboxPending, Due: now, Created: now, Updated: now}
	if seriesID != 0 {
		m.SeriesID, m.AppointmentID = seriesID, 0
		if _, err := cancelSeriesUpdates(ctx, tx, seriesID, "series cancelled", now); err != nil {
			return err
		}
	}
	return queue(ctx, tx, pat, m)
}

// cancelPending cancels the pending reminder, preparation and update
// messages about one appointment, noting why. Messages already claimed by
// a dispatcher are left to finish.
func cancelPending(ctx context.Context, tx Tx, apptID int64, why string, now time.Time) error {
	msgs, err := tx.Outbox(ctx, OutboxFilter{State: OutboxPending, AppointmentID: apptID})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Kind != MessageReminder && m.Kind != MessagePreparation && m.Kind != MessageUpdate {
			continue
		}
		m.State, m.Note, m.Updated = OutboxCancelled, why, now
		if err := tx.UpdateOutbox(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// cancelSeriesUpdates cancels the pending updates about a whole series,
// noting why, and returns the appointments they were to mark as changed.
func cancelSeriesUpdates(ctx context.Context, tx Tx, seriesID int64, why string, now time.Time) ([]int64, error) {
	msgs, err := tx.Outbox(ctx, OutboxFilter{State: OutboxPending, SeriesID: seriesID})
	if err != nil {
		return nil, err
	}
	var changed []int64
	for _, m := range msgs {
		if m.Kind != MessageUpdate || m.AppointmentID != 0 {
			continue
		}
		changed = append(changed, m.Changed...)
		m.State, m.Note, m.Updated = OutboxCancelled, why, now
		if err := tx.UpdateOutbox(ctx, m); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

package booking

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where an appointment stands.
type Status string

// Appointment statuses.
const (
	Booked        Status = "booked"
	Arrived       Status = "arrived"
	Completed     Status = "completed"
	NoShow        Status = "no-show"
	Cancelled     Status = "cancelled"
	LateCancelled Status = "late-cancelled"
)

// Active reports whether the appointment still holds its people and room.
func (s Status) Active() bool { return s != Cancelled && s != LateCancelled }

// Words returns the status for the front desk, e.g. "No-show".
func (s Status) Words() string {
	switch s {
	case Booked:
		return "Booked"
	case Arrived:
		return "Arrived"
	case Completed:
		return "Completed"
	case NoShow:
		return "No-show"
	case Cancelled:
		return "Cancelled"
	case LateCancelled:
		return "Cancelled late (short notice)"
	}
	return string(s)
}

// Holds reports whether an appointment with this status fills its place
// in the series: it is booked, under way or done. A no-show or a
// cancelled appointment leaves its place empty, for a make-up.
func (s Status) Holds() bool { return s == Booked || s == Arrived || s == Completed }

// Party is who asked for a cancellation.
type Party string

// Who can cancel.
const (
	ByPatient Party = "patient"
	ByClinic  Party = "clinic"
)

// ParseParty parses "patient" or "clinic".
func ParseParty(s string) (Party, error) {
	switch p := Party(strings.ToLower(strings.TrimSpace(s))); p {
	case ByPatient, ByClinic:
		return p, nil
	}
	return "", Errorf(EINVALID, "%q is not who cancelled; say patient or clinic.", Clip(s, 20))
}

// Series is one patient's booked course of a protocol.
type Series struct {
	ID         int64  `json:"id"`
	PatientID  int64  `json:"patient_id"`
	ProtocolID string `json:"protocol_id"`
	// ProtocolVersion is the version of the protocol the series was booked
	// under; its rules stay the series' rules when the protocol changes.
	ProtocolVersion int   `json:"protocol_version"`
	TherapistID     int64 `json:"therapist_id,omitempty"` // 0 if the protocol has no series therapist
	// Step is set for an ad-hoc booking: one appointment of this step of
	// the protocol, outside any course.
	Step    string         `json:"step,omitempty"`
	From    Date           `json:"from"`
	Created time.Time      `json:"created"`
	Appts   []*Appointment `json:"appointments"`
}

// Assignment is one person's part in an appointment.
type Assignment struct {
	StaffID int64  `json:"id"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
}

// Escort is the adult who takes the patient home after a dosing visit.
type Escort struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Validate checks the escort's details.
func (e *Escort) Validate() error {
	if err := checkText("Escort name", e.Name, 200, true); err != nil {
		return err
	}
	return CheckPhone(e.Phone)
}

// Appointment is one booked session.
type Appointment struct {
	ID        int64  `json:"id"`
	SeriesID  int64  `json:"series_id,omitempty"` // 0 for an ad-hoc appointment
	PatientID int64  `json:"patient_id"`
	Step      string `json:"step"`  // protocol step id
	Kind      Kind   `json:"kind"`  // consultation, preparation, dosing…
	Index     int    `json:"index"` // 1-based number within its step
	Count     int    `json:"count"` // instances of its step
	// Seq is the appointment's place in its series, 0-based.
	Seq      int          `json:"seq"`
	Start    time.Time    `json:"start"`
	End      time.Time    `json:"end"`
	Staff    []Assignment `json:"staff"`
	RoomID   int64        `json:"room_id,omitempty"` // 0: video, no room
	RoomName string       `json:"room_name,omitempty"`
	Holds    Holds        `json:"holds"`
	Status   Status       `json:"status"`
	Escort   *Escort      `json:"escort,omitempty"`
	Reason   string       `json:"reason,omitempty"` // why cancelled
	// CancelledBy says who asked for a cancellation: the patient or the
	// clinic. Only a patient's cancellation at short notice is late.
	CancelledBy Party `json:"cancelled_by,omitempty"`
	// LateMinutes is how many minutes after its start the patient
	// arrived; 0 when on time.
	LateMinutes int `json:"late_minutes,omitempty"`
	// MakeupOf is the missed (no-show or cancelled) appointment of the
	// same place in the series that this one makes up; 0 for none.
	MakeupOf  int64     `json:"makeup_of,omitempty"`
	Sequence  int       `json:"sequence"` // rises with every change (iCalendar SEQUENCE)
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	NeedsREMS bool      `json:"needs_rems,omitempty"`
	// EscortNeeded is its step's Escort: the patient leaves only with an
	// escort, recorded before check-in.
	EscortNeeded bool `json:"escort_needed,omitempty"`
}

// ValidateNew checks a new appointment: its own values (Validate) and its
// patient.
func (a *Appointment) ValidateNew() error {
	if a.PatientID <= 0 {
		return Errorf(EINVALID, "An appointment needs a patient.")
	}
	return a.Validate()
}

// Validate checks the appointment's own values, what every store relies
// on; a change keeps the stored patient, so this needs none.
func (a *Appointment) Validate() error {
	switch a.Status {
	case Booked, Arrived, Completed, NoShow, Cancelled, LateCancelled:
	default:
		return Errorf(EINVALID, "%q is not an appointment status; use booked, arrived, completed, no-show, cancelled or late-cancelled.", Clip(string(a.Status), 30))
	}
	switch {
	case a.Kind == "" || utf8.RuneCountInString(string(a.Kind)) > 63:
		return Errorf(EINVALID, "An appointment needs a kind, such as consultation.")
	case utf8.RuneCountInString(a.Step) > 63:
		return Errorf(EINVALID, "The appointment's step id is too long.")
	case a.Start.IsZero() || a.End.IsZero():
		return Errorf(EINVALID, "An appointment needs a start and an end.")
	case a.End.Unix() <= a.Start.Unix():
		return Errorf(EINVALID, "An appointment must end after it starts.")
	case a.Index < 0 || a.Count < 0 || a.Seq < 0 || a.Sequence < 0:
		return Errorf(EINVALID, "An appointment's numbers cannot be negative.")
	case a.Holds.RoomBefore < 0 || a.Holds.RoomAfter < 0 || a.Holds.StaffBefore < 0 || a.Holds.StaffAfter < 0:
		return Errorf(EINVALID, "An appointment's holds cannot be negative.")
	case utf8.RuneCountInString(a.Reason) > 1000:
		return Errorf(EINVALID, "The reason is too long (at most 1000 characters).")
	case utf8.RuneCountInString(a.RoomName) > 100:
		return Errorf(EINVALID, "The room name is too long.")
	case a.CancelledBy != "" && a.CancelledBy != ByPatient && a.CancelledBy != ByClinic:
		return Errorf(EINVALID, "%q is not who cancelled; use patient or clinic.", Clip(string(a.CancelledBy), 20))
	case a.LateMinutes < 0 || a.LateMinutes > 24*60:
		return Errorf(EINVALID, "Minutes late must be between 0 and 1440.")
	case a.MakeupOf < 0:
		return Errorf(EINVALID, "An appointment's numbers cannot be negative.")
	}
	if a.Escort != nil {
		if err := a.Escort.Validate(); err != nil {
			return err
		}
	}
	seen := map[int64]bool{}
	for _, s := range a.Staff {
		if s.StaffID <= 0 {
			return Errorf(EINVALID, "An appointment's staff member has no id.")
		}
		if seen[s.StaffID] {
			return Errorf(EINVALID, "%s is listed twice in one appointment.", Clip(s.Name, 60))
		}
		seen[s.StaffID] = true
	}
	return nil
}

// Holds are the minutes a resource stays reserved before and after the
// appointment itself, e.g. the dosing room's 30-minute turnover.
type Holds struct {
	RoomBefore  int `json:"room_before,omitempty"`
	RoomAfter   int `json:"room_after,omitempty"`
	StaffBefore int `json:"staff_before,omitempty"`
	StaffAfter  int `json:"staff_after,omitempty"`
}

// Label names the appointment for staff, e.g. "Dosing 3/6", or "Dosing
// 3/6 (make-up)" for a make-up.
func (a *Appointment) Label() string {
	k := a.Kind.Title()
	if a.Count > 1 {
		k = fmt.Sprintf("%s %d/%d", k, a.Index, a.Count)
	}
	if a.MakeupOf != 0 {
		k += " (make-up)"
	}
	return k
}

// Video reports whether the appointment is held by video (no room).
func (a *Appointment) Video() bool { return a.RoomID == 0 }

// Blocks returns the resource intervals the appointment occupies, holds
// included. A cancelled appointment occupies nothing.
func (a *Appointment) Blocks() []Block {
	if !a.Status.Active() {
		return nil
	}
	out := make([]Block, 0, len(a.Staff)+2)
	s, e := a.Start.Unix(), a.End.Unix()
	for _, st := range a.Staff {
		out = append(out, Block{Resource{StaffResource, st.StaffID}, s - int64(a.Holds.StaffBefore)*60, e + int64(a.Holds.StaffAfter)*60, a.ID})
	}
	if a.RoomID != 0 {
		out = append(out, Block{Resource{RoomResource, a.RoomID}, s - int64(a.Holds.RoomBefore)*60, e + int64(a.Holds.RoomAfter)*60, a.ID})
	}
	if a.PatientID != 0 {
		out = append(out, Block{Resource{PatientResource, a.PatientID}, s, e, a.ID})
	}
	return out
}

// HasStaff reports whether staff member id takes part.
func (a *Appointment) HasStaff(id int64) bool {
	for _, s := range a.Staff {
		if s.StaffID == id {
			return true
		}
	}
	return false
}

// Resource is a person or a room that can be booked.
type Resource struct {
	Kind ResourceKind
	ID   int64 // staff, room or patient id
}

// ResourceKind says what a Resource is.
type ResourceKind string

// Resource kinds. A patient is a resource too: nobody is in two
// appointments at once.
const (
	StaffResource   ResourceKind = "staff"
	RoomResource    ResourceKind = "room"
	PatientResource ResourceKind = "patient"
)

// Block is an interval during which a resource is taken, in Unix seconds.
type Block struct {
	Resource      Resource
	Start, End    int64
	AppointmentID int64
}

// AuditEntry records one change, append-only.
//
// At and Actor are the clock and the name the action ran with: a
// workstation's chosen name or kapctl's --as, and kapctl's --now when a
// pretend clock is set. Recorded and OSUser are what the store itself
// stamps on every entry: this computer's own clock and the operating
// system account that made the change, whatever the action was told
// (docs/security.md, "The audit trail"). Entries written before kapbook
// kept them have neither.
type AuditEntry struct {
	ID            int64     `json:"id"`
	At            time.Time `json:"at"`
	Actor         string    `json:"actor"`
	Recorded      time.Time `json:"recorded,omitzero"`
	OSUser        string    `json:"os_user,omitempty"`
	Action        string    `json:"action"` // book, reschedule, cancel, status, escort, override, patient-add
	PatientID     int64     `json:"patient_id,omitempty"`
	SeriesID      int64     `json:"series_id,omitempty"`
	AppointmentID int64     `json:"appointment_id,omitempty"`
	Before        string    `json:"before,omitempty"` // JSON of the state before
	After         string    `json:"after,omitempty"`  // JSON of the state after
	Note          string    `json:"note,omitempty"`
}

// PretendTime reports whether the entry's At is a pretend clock's rather
// than when it was recorded: more than a minute apart.
func (e *AuditEntry) PretendTime() bool {
	if e.Recorded.IsZero() {
		return false
	}
	d := e.At.Sub(e.Recorded)
	return d > time.Minute || d < -time.Minute
}

package booking

import (
	"context"
	"time"
)

// AppointmentFilter selects appointments. Zero fields do not filter.
type AppointmentFilter struct {
	From, To   time.Time // appointments overlapping [From, To)
	StaffID    int64
	RoomID     int64
	PatientID  int64
	SeriesID   int64
	ActiveOnly bool // leave out cancelled appointments
	Limit      int
}

// Stamp summarises a set of appointments. Every change to an appointment
// raises its Sequence or its Updated time, and an appointment that joins or
// leaves the set changes Count or IDs, so any booking, move, cancellation
// or status change among them changes the stamp.
type Stamp struct {
	Count     int       // how many appointments
	Updated   time.Time // the newest Updated among them, in UTC; zero if none
	Sequences int64     // the sum of their Sequence
	IDs       int64     // the sum of their ids
}

// SeriesFilter selects series. Zero fields do not filter.
type SeriesFilter struct {
	PatientID  int64
	ProtocolID string
	// Active keeps only the series that still have an appointment to
	// come: one that is booked or under way (arrived).
	Active bool
}

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	PatientID int64
	Limit     int
}

// Reader is the read side of the store, shared by Store and Tx.
type Reader interface {
	// Clinic returns the clinic settings. Returns ENOTFOUND if the database
	// has not been set up.
	Clinic(ctx context.Context) (*Clinic, error)
	// StaffList returns all staff, ordered by id.
	StaffList(ctx context.Context) ([]*Staff, error)
	// Rooms returns all rooms, ordered by id.
	Rooms(ctx context.Context) ([]*Room, error)
	// Protocols returns all protocols, ordered by id.
	Protocols(ctx context.Context) ([]*Protocol, error)
	// Protocol returns the current version of one protocol. Returns
	// ENOTFOUND if it does not exist.
	Protocol(ctx context.Context, id string) (*Protocol, error)
	// ProtocolVersion returns one version of a protocol, as it was saved.
	// Returns ENOTFOUND if there is no such version.
	ProtocolVersion(ctx context.Context, id string, version int) (*Protocol, error)
	// Patient returns one patient. Returns ENOTFOUND if it does not exist.
	Patient(ctx context.Context, id int64) (*Patient, error)
	// FindPatients returns the patients PatientIndex finds for search
	// (every word in the name, email or phone, ignoring case and accents;
	// blank: all), ordered by name.
	FindPatients(ctx context.Context, search string) ([]*Patient, error)
	// Series returns a series with its appointments in order. Returns
	// ENOTFOUND if it does not exist.
	Series(ctx context.Context, id int64) (*Series, error)
	// SeriesList returns the matching series without their appointments,
	// ordered by id.
	SeriesList(ctx context.Context, f SeriesFilter) ([]*Series, error)
	// Appointment returns one appointment. Returns ENOTFOUND if it does not exist.
	Appointment(ctx context.Context, id int64) (*Appointment, error)
	// Appointments returns the matching appointments ordered by start, then id.
	Appointments(ctx context.Context, f AppointmentFilter) ([]*Appointment, error)
	// AppointmentsStamp summarises the appointments Appointments(f)
	// returns without reading them, so a calendar feed can tell cheaply
	// whether they changed.
	AppointmentsStamp(ctx context.Context, f AppointmentFilter) (Stamp, error)
	// Blocks returns the resource blocks (holds included) of every active
	// appointment overlapping [from, to). It reads only that window, through
	// an index, never the whole history.
	Blocks(ctx context.Context, from, to time.Time) ([]Block, error)
	// Audit returns audit entries, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
	// InstanceID returns the database's random id, stable for its life; it
	// makes exported calendar UIDs unique across clinics.
	InstanceID(ctx context.Context) (string, error)
	// Feed returns the feed with the given token hash, revoked or not.
	// Returns ENOTFOUND if there is none.
	Feed(ctx context.Context, tokenHash string) (*Feed, error)
	// Feeds returns the feeds of one staff member or room, newest first.
	Feeds(ctx context.Context, r Resource) ([]*Feed, error)
	// BusySubscriptions returns every staff member's calendar subscription,
	// ordered by staff id.
	BusySubscriptions(ctx context.Context) ([]*BusySubscription, error)
	// CalDAVAccounts returns every staff member's calendar connection,
	// ordered by staff id.
	CalDAVAccounts(ctx context.Context) ([]*CalDAVAccount, error)
	// CalDAVItems returns what kapbook put on a staff member's server,
	// ordered by appointment id.
	CalDAVItems(ctx context.Context, staffID int64) ([]*CalDAVItem, error)
	// CalDAVLog returns a staff member's sync log, newest first, at most
	// limit entries (0: all kept).
	CalDAVLog(ctx context.Context, staffID int64, limit int) ([]*CalDAVLogEntry, error)
	// Outbox returns the matching outbox messages ordered by due time,
	// then id.
	Outbox(ctx context.Context, f OutboxFilter) ([]*OutboxMessage, error)
}

// Store is kapbook's persistence. Implementations: store.DB (SQLite).
type Store interface {
	Reader
	// Update runs fn in one write transaction that no other process's
	// write can interleave with: whatever fn reads stays true until it
	// commits. The transaction commits if fn returns nil, otherwise it rolls
	// back and Update returns fn's error.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Version returns a number that changes whenever a change is committed
	// to the store, by this process or another: two equal numbers from one
	// Store mean nothing changed in between, so a reader may keep what it
	// derived from the data. Numbers from two Stores are not comparable.
	Version(ctx context.Context) (int64, error)
}

// Tx is a write transaction. Its methods return EINVALID for values that
// fail validation and ENOTFOUND for unknown ids.
type Tx interface {
	Reader
	// SaveClinic creates or replaces the clinic settings.
	SaveClinic(ctx context.Context, c *Clinic) error
	// SaveStaff creates (ID 0, which is then set) or updates a staff member.
	SaveStaff(ctx context.Context, s *Staff) error
	// SaveRoom creates (ID 0, which is then set) or updates a room.
	SaveRoom(ctx context.Context, r *Room) error
	// SaveProtocol stores p as the next version of its protocol (version 1
	// for a new id) and sets p.Version. Earlier versions stay readable
	// through ProtocolVersion.
	SaveProtocol(ctx context.Context, p *Protocol) error
	// SavePatient creates (ID 0, which is then set) or updates a patient.
	SavePatient(ctx context.Context, p *Patient) error
	// CreateSeries stores a series and its appointments, setting their ids.
	CreateSeries(ctx context.Context, s *Series) error
	// CreateAppointment stores one appointment (ad hoc or added to a
	// series), setting its id.
	CreateAppointment(ctx context.Context, a *Appointment) error
	// UpdateAppointment replaces a stored appointment's times, staff, room, holds,
	// status, escort, reason, sequence and updated time.
	UpdateAppointment(ctx context.Context, a *Appointment) error
	// AddAudit appends an audit entry, setting its id.
	AddAudit(ctx context.Context, e *AuditEntry) error
	// SaveFeed creates a feed, or records that it was revoked.
	SaveFeed(ctx context.Context, f *Feed) error
	// SaveBusySubscription creates or replaces a staff member's calendar
	// subscription. Returns ENOTFOUND for an unknown staff member.
	SaveBusySubscription(ctx context.Context, s *BusySubscription) error
	// DeleteBusySubscription removes a staff member's calendar
	// subscription, its last good copy included, and reports whether
	// there was one.
	DeleteBusySubscription(ctx context.Context, staffID int64) (bool, error)
	// SaveCalDAVAccount creates or replaces a staff member's calendar
	// connection. Returns ENOTFOUND for an unknown staff member.
	SaveCalDAVAccount(ctx context.Context, a *CalDAVAccount) error
	// DeleteCalDAVAccount removes a staff member's calendar connection
	// with its items and log, and reports whether there was one.
	DeleteCalDAVAccount(ctx context.Context, staffID int64) (bool, error)
	// SaveCalDAVItem creates or replaces what kapbook put on a server for
	// one appointment.
	SaveCalDAVItem(ctx context.Context, it *CalDAVItem) error
	// DeleteCalDAVItem forgets one appointment's item.
	DeleteCalDAVItem(ctx context.Context, staffID, appointmentID int64) error
	// AddCalDAVLog appends to a staff member's sync log, setting the
	// entry's id, and drops entries beyond the newest CalDAVLogKeep.
	AddCalDAVLog(ctx context.Context, e *CalDAVLogEntry) error
	// AddOutbox queues a patient email, setting its id. Returns EINVALID
	// for a message that fails validation or is stored already, and
	// ENOTFOUND for an unknown patient, series or appointment.
	AddOutbox(ctx context.Context, m *OutboxMessage) error
	// UpdateOutbox replaces a stored message's state, due time, attempts,
	// next attempt, last error, Message-ID, note and updated time, and its
	// copy as sent when m has one. Returns ENOTFOUND if it does not exist.
	UpdateOutbox(ctx context.Context, m *OutboxMessage) error
	// UpdateClaimedOutbox is UpdateOutbox for a message a dispatcher
	// claimed, leaving its due time and attempts as claimed: it changes
	// the stored message only while it is still sending with m.Attempts
	// attempts (no other dispatcher took it over since), and reports
	// whether it did. One statement: a dispatcher records each delivery's
	// outcome with it, and the copy as sent, before the server can accept
	// the next message.
	UpdateClaimedOutbox(ctx context.Context, m *OutboxMessage) (bool, error)
}

// Feed is a live calendar subscription to one staff member's or room's
// appointments, reached by an unguessable token; only the token's SHA-256
// is stored.
type Feed struct {
	TokenHash string     `json:"-"`
	Resource  Resource   `json:"resource"`
	Privacy   string     `json:"privacy"` // full, initials or id
	Created   time.Time  `json:"created"`
	Revoked   *time.Time `json:"revoked,omitempty"`
}

// BusySubscription is a staff member's own calendar, fetched on a schedule
// so that its busy times block booking. Body is the last good copy.
type BusySubscription struct {
	StaffID      int64     `json:"staff_id"`
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Fetched      time.Time `json:"fetched"` // zero: never
	Error        string    `json:"error,omitempty"`
	Body         []byte    `json:"-"`
}

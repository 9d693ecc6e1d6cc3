package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// applicationID marks a SQLite file as kapbook's: "KAPB" in ASCII, stored
// in the database header (PRAGMA application_id).
const applicationID = 0x4b415042

// migrations are the schema changes in order; the database's user version
// (PRAGMA user_version) counts how many have been applied. Never edit a
// released migration: append a new one.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE clinic (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	time_zone TEXT NOT NULL,
	data      TEXT NOT NULL -- JSON of booking.Clinic
);

CREATE TABLE staff (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	data TEXT NOT NULL -- JSON of booking.Staff
);

CREATE TABLE rooms (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	data TEXT NOT NULL -- JSON of booking.Room
);

CREATE TABLE protocols (
	id   TEXT PRIMARY KEY,
	data TEXT NOT NULL -- JSON of booking.Protocol
);

CREATE TABLE patients (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL,
	email       TEXT NOT NULL,
	phone       TEXT NOT NULL,
	preferences TEXT NOT NULL, -- JSON of booking.Preferences
	consents    TEXT NOT NULL, -- JSON of booking.Consents
	created     INTEGER NOT NULL,
	name_key    TEXT NOT NULL, -- lower-case name, for ordering
	search_key  TEXT NOT NULL  -- lower-case name, email, phone and phone digits
);
CREATE INDEX patients_name_key ON patients (name_key, id);

CREATE TABLE series (
	id           INTEGER PRIMARY KEY,
	patient_id   INTEGER NOT NULL REFERENCES patients (id),
	protocol_id  TEXT NOT NULL REFERENCES protocols (id),
	therapist_id INTEGER REFERENCES staff (id),
	from_date    TEXT NOT NULL, -- YYYY-MM-DD
	step         TEXT NOT NULL DEFAULT '', -- ad-hoc booking: the one protocol step booked
	created      INTEGER NOT NULL
);
CREATE INDEX series_patient ON series (patient_id);

CREATE TABLE appointments (
	id           INTEGER PRIMARY KEY,
	series_id    INTEGER REFERENCES series (id),
	patient_id   INTEGER NOT NULL REFERENCES patients (id),
	step         TEXT NOT NULL,
	kind         TEXT NOT NULL,
	idx          INTEGER NOT NULL,
	count        INTEGER NOT NULL,
	seq          INTEGER NOT NULL,
	start_unix   INTEGER NOT NULL,
	end_unix     INTEGER NOT NULL,
	room_id      INTEGER REFERENCES rooms (id),
	room_name    TEXT NOT NULL,
	room_before  INTEGER NOT NULL,
	room_after   INTEGER NOT NULL,
	staff_before INTEGER NOT NULL,
	staff_after  INTEGER NOT NULL,
	status       TEXT NOT NULL,
	escort       TEXT, -- JSON of booking.Escort
	reason       TEXT NOT NULL,
	sequence     INTEGER NOT NULL,
	created      INTEGER NOT NULL,
	updated      INTEGER NOT NULL,
	needs_rems   BOOLEAN NOT NULL,
	CHECK (end_unix > start_unix)
);
CREATE INDEX appointments_start ON appointments (start_unix, id);
-- The longest appointment bounds a window query from below (see Appointments).
CREATE INDEX appointments_length ON appointments ((end_unix - start_unix));
CREATE INDEX appointments_series ON appointments (series_id, seq);
CREATE INDEX appointments_patient ON appointments (patient_id, start_unix);
CREATE INDEX appointments_room ON appointments (room_id, start_unix);

CREATE TABLE appointment_staff (
	appointment_id INTEGER NOT NULL REFERENCES appointments (id),
	position       INTEGER NOT NULL,
	staff_id       INTEGER NOT NULL REFERENCES staff (id),
	name           TEXT NOT NULL,
	role           TEXT NOT NULL,
	PRIMARY KEY (appointment_id, position)
);
CREATE INDEX appointment_staff_staff ON appointment_staff (staff_id, appointment_id);

-- blocks holds the resource intervals of active appointments, holds
-- included (booking.Appointment.Blocks), so the planner reads a window
-- through an index.
CREATE TABLE blocks (
	appointment_id INTEGER NOT NULL REFERENCES appointments (id),
	resource_kind  TEXT NOT NULL CHECK (resource_kind IN ('staff', 'room', 'patient')),
	resource_id    INTEGER NOT NULL,
	start_unix     INTEGER NOT NULL,
	end_unix       INTEGER NOT NULL,
	CHECK (end_unix > start_unix)
);
-- Covering, in the order Blocks returns them: a window is one index range.
CREATE INDEX blocks_start ON blocks (start_unix, appointment_id, end_unix, resource_kind, resource_id);
CREATE INDEX blocks_length ON blocks ((end_unix - start_unix));
CREATE INDEX blocks_appointment ON blocks (appointment_id);

-- audit is append-only: the triggers refuse to change or delete a row.
CREATE TABLE audit (
	id             INTEGER PRIMARY KEY,
	at             INTEGER NOT NULL,
	actor          TEXT NOT NULL,
	action         TEXT NOT NULL,
	patient_id     INTEGER,
	series_id      INTEGER,
	appointment_id INTEGER,
	state_before   TEXT NOT NULL,
	state_after    TEXT NOT NULL,
	note           TEXT NOT NULL
);
CREATE INDEX audit_patient ON audit (patient_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit entries cannot be deleted');
END;

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
-- A random id of this database, part of every calendar UID it exports.
INSERT INTO meta (key, value) VALUES ('instance_id', lower(hex(randomblob(16))));

CREATE TABLE feeds (
	token_hash    TEXT PRIMARY KEY, -- hex SHA-256 of the token; the token itself is never stored
	resource_kind TEXT NOT NULL CHECK (resource_kind IN ('staff', 'room')),
	resource_id   INTEGER NOT NULL,
	privacy       TEXT NOT NULL,
	created       INTEGER NOT NULL,
	revoked       INTEGER -- NULL while the feed is live
);
CREATE INDEX feeds_resource ON feeds (resource_kind, resource_id);

CREATE TABLE busy_subscriptions (
	staff_id      INTEGER PRIMARY KEY REFERENCES staff (id),
	url           TEXT NOT NULL,
	etag          TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	fetched       INTEGER NOT NULL, -- 0: never
	error         TEXT NOT NULL,
	body          BLOB -- the last good copy
);

-- outbox holds one row per patient email (booking.OutboxMessage), written
-- in the same transaction as the booking change that calls for it.
CREATE TABLE outbox (
	id             INTEGER PRIMARY KEY,
	kind           TEXT NOT NULL CHECK (kind IN ('confirmation', 'reminder', 'preparation', 'update', 'cancellation')),
	patient_id     INTEGER NOT NULL REFERENCES patients (id),
	series_id      INTEGER REFERENCES series (id),
	appointment_id INTEGER REFERENCES appointments (id), -- NULL: about the whole series
	state          TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')),
	due            INTEGER NOT NULL,
	attempts       INTEGER NOT NULL CHECK (attempts >= 0),
	next_attempt   INTEGER NOT NULL, -- 0: as soon as due
	last_error     TEXT NOT NULL,
	message_id     TEXT NOT NULL,
	created        INTEGER NOT NULL,
	updated        INTEGER NOT NULL,
	note           TEXT NOT NULL
);
-- What is due: one index range per state.
CREATE INDEX outbox_state_due ON outbox (state, due, id);
CREATE INDEX outbox_appointment ON outbox (appointment_id);
`,
	// 2: the outbox by due time whatever the state, for the Outbox screen's
	// recent weeks (OutboxFilter.DueFrom) in a clinic with years of
	// messages; by series, for cancelling a whole series; by patient, for
	// a patient's messages.
	`CREATE INDEX outbox_due ON outbox (due, id);
CREATE INDEX outbox_series ON outbox (series_id);
CREATE INDEX outbox_patient ON outbox (patient_id, due);`,
	// 3: a series' life (docs/protocols.md, "A series over time"): who
	// cancelled, how late a patient arrived, make-ups, protocol versions
	// (a series keeps the rules it was booked under).
	`ALTER TABLE appointments ADD COLUMN cancelled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN late_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD COLUMN makeup_of INTEGER REFERENCES appointments (id);
CREATE INDEX appointments_makeup ON appointments (makeup_of);
ALTER TABLE protocols ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE protocol_versions (
	protocol_id TEXT NOT NULL REFERENCES protocols (id),
	version     INTEGER NOT NULL CHECK (version >= 1),
	data        TEXT NOT NULL, -- JSON of booking.Protocol as it was
	created     INTEGER NOT NULL,
	PRIMARY KEY (protocol_id, version)
);
INSERT INTO protocol_versions (protocol_id, version, data, created) SELECT id, 1, data, 0 FROM protocols;
ALTER TABLE series ADD COLUMN protocol_version INTEGER NOT NULL DEFAULT 1;`,
	// 4: which visits need an escort is the protocol step's field
	// (docs/protocols.md, "Doses"), kept on each appointment like
	// needs_rems. Until now it followed from the kind: dosing and infusion
	// visits needed one, so those appointments and the steps of those
	// kinds in every stored protocol version are marked.
	`ALTER TABLE appointments ADD COLUMN escort_needed BOOLEAN NOT NULL DEFAULT 0;
UPDATE appointments SET escort_needed = 1 WHERE kind IN ('dosing', 'infusion');
` + markEscortSteps("protocols") + markEscortSteps("protocol_versions"),
	// 5: the audit trail keeps this computer's own clock and the operating
	// system account beside the clock and name an action was given
	// (docs/security.md, "The audit trail"); older entries have 0 and ''.
	`ALTER TABLE audit ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN os_user TEXT NOT NULL DEFAULT '';`,
	// 6: a sent message's copy as it went out (gzip), for the Outbox's
	// preview (booking.OutboxMessage.SentCopy).
	`ALTER TABLE outbox ADD COLUMN sent_copy BLOB;`,
	// 7: the appointments a series update marks as changed
	// (booking.OutboxMessage.Changed), ids separated by commas.
	`ALTER TABLE outbox ADD COLUMN changed TEXT NOT NULL DEFAULT '';`,
	// 8: staff members' own calendars on CalDAV servers
	// (booking.CalDAVAccount): the connection, what kapbook put there,
	// and the sync log the front desk reads.
	caldavSchema,
}

// caldavSchema is SQLite's migration 8 and PostgreSQL's 5; the types
// they differ in are written as SQLite's and rewritten for PostgreSQL
// (pgSchema).
const caldavSchema = `CREATE TABLE caldav_accounts (
	staff_id      INTEGER PRIMARY KEY REFERENCES staff (id),
	server        TEXT NOT NULL,
	calendar      TEXT NOT NULL,
	calendar_name TEXT NOT NULL,
	made          INTEGER NOT NULL, -- 1: kapbook made the calendar
	user_name     TEXT NOT NULL,
	password      INTEGER NOT NULL, -- 1: a password is kept in the OS keyring
	privacy       TEXT NOT NULL,
	created       INTEGER NOT NULL,
	pulled        INTEGER NOT NULL, -- 0: never
	error         TEXT NOT NULL
);
CREATE TABLE caldav_items (
	staff_id       INTEGER NOT NULL REFERENCES staff (id),
	appointment_id INTEGER NOT NULL REFERENCES appointments (id),
	href           TEXT NOT NULL,
	etag           TEXT NOT NULL,
	hash           TEXT NOT NULL,
	PRIMARY KEY (staff_id, appointment_id)
);
CREATE TABLE caldav_log (
	id       INTEGER PRIMARY KEY,
	staff_id INTEGER NOT NULL REFERENCES staff (id),
	at       INTEGER NOT NULL,
	kind     TEXT NOT NULL,
	message  TEXT NOT NULL
);
CREATE INDEX caldav_log_staff ON caldav_log (staff_id, id);`

// markEscortSteps returns the statements of migration 4 that set
// "escort": true on every dosing or infusion step of the protocols stored
// in table (a protocol has at most 50 steps).
func markEscortSteps(table string) string {
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "UPDATE %[1]s SET data = json_set(data, '$.steps[%[2]d].escort', json('true')) WHERE json_extract(data, '$.steps[%[2]d].kind') IN ('dosing', 'infusion');\n", table, i)
	}
	return b.String()
}

// header is what the store reads from a database file before using it.
type header struct {
	appID   int64
	version int64
	objects int64 // tables, indexes, views and triggers
}

// readHeader reads the application id, the user version and the number of
// schema objects.
func readHeader(ctx context.Context, q querier) (header, error) {
	var h header
	if err := q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&h.appID); err != nil {
		return h, err
	}
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&h.version); err != nil {
		return h, err
	}
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&h.objects); err != nil {
		return h, err
	}
	return h, nil
}

// check refuses a file that kapbook must not touch: another application's,
// or one from a newer kapbook. An empty database is kapbook's to set up.
func (h header) check(path string) error {
	switch {
	case h.appID == applicationID && h.version > int64(len(migrations)):
		return booking.Errorf(booking.ESTORE, "This database was written by a newer version of kapbook (schema %d); update kapbook to open it.", h.version)
	case h.appID == applicationID:
		return nil
	case h.appID == 0 && h.version == 0 && h.objects == 0:
		return nil
	}
	return booking.Errorf(booking.ESTORE, "The file %s is not a kapbook database: it belongs to another application.", path)
}

// inspect reads the file at path through a read-only connection and
// refuses it, unchanged, if kapbook must not open it.
func inspect(path string) error {
	sdb, err := sql.Open("sqlite", dsn(path, "ro", "busy_timeout(20000)"))
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer sdb.Close()
	h, err := readHeader(context.Background(), sdb)
	if err != nil {
		switch sqliteCode(err) & 0xff {
		case codeNotADB, codeCorrupt:
			return booking.Errorf(booking.ESTORE, "The file %s is not a kapbook database or is damaged: %s.", path, describe(err))
		}
		return (&reader{path: path}).mapErr("open", err)
	}
	return h.check(path)
}

// migrate applies the migrations the database lacks, all in one
// transaction, and marks the file as kapbook's.
func (db *DB) migrate(ctx context.Context) error {
	h, err := readHeader(ctx, db.sql)
	if err != nil {
		return db.mapErr("migrate", err)
	}
	if err := h.check(db.path); err != nil {
		return err
	}
	if h.appID == applicationID && h.version == int64(len(migrations)) {
		return nil
	}
	return db.write(ctx, func(t *tx) error {
		// Read again under the write lock: another process may have
		// migrated meanwhile.
		h, err := readHeader(ctx, t.conn)
		if err != nil {
			return db.mapErr("migrate", err)
		}
		if err := h.check(db.path); err != nil {
			return err
		}
		for i := h.version; i < int64(len(migrations)); i++ {
			if _, err := t.conn.ExecContext(ctx, migrations[i]); err != nil {
				return db.mapErr(fmt.Sprintf("migration %d", i+1), err)
			}
		}
		// PRAGMA takes no parameters; both values are integers from here.
		if _, err := t.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
			return db.mapErr("migrate", err)
		}
		if _, err := t.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return db.mapErr("migrate", err)
		}
		return nil
	})
}

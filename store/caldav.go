package store

import (
	"context"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// CalDAVAccounts implements booking.Reader.
func (r *reader) CalDAVAccounts(ctx context.Context) ([]*booking.CalDAVAccount, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT staff_id, server, calendar, calendar_name, made, user_name, password, privacy, created, pulled, error
		FROM caldav_accounts ORDER BY staff_id`)
	if err != nil {
		return nil, r.mapErr("calendar connections", err)
	}
	defer rows.Close()
	out := []*booking.CalDAVAccount{}
	for rows.Next() {
		var a booking.CalDAVAccount
		var made, password, created, pulled int64
		if err := rows.Scan(&a.StaffID, &a.Server, &a.Calendar, &a.CalendarName, &made, &a.User, &password, &a.Privacy, &created, &pulled, &a.Error); err != nil {
			return nil, r.mapErr("calendar connections", err)
		}
		a.Made, a.Password = made != 0, password != 0
		a.Created = time.Unix(created, 0)
		if pulled != 0 {
			a.Pulled = time.Unix(pulled, 0)
		}
		out = append(out, &a)
	}
	return out, r.mapErr("calendar connections", rows.Err())
}

// CalDAVItems implements booking.Reader.
func (r *reader) CalDAVItems(ctx context.Context, staffID int64) ([]*booking.CalDAVItem, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT staff_id, appointment_id, href, etag, hash FROM caldav_items
		WHERE staff_id = ? ORDER BY appointment_id`, staffID)
	if err != nil {
		return nil, r.mapErr("calendar items", err)
	}
	defer rows.Close()
	out := []*booking.CalDAVItem{}
	for rows.Next() {
		var it booking.CalDAVItem
		if err := rows.Scan(&it.StaffID, &it.AppointmentID, &it.Href, &it.ETag, &it.Hash); err != nil {
			return nil, r.mapErr("calendar items", err)
		}
		out = append(out, &it)
	}
	return out, r.mapErr("calendar items", rows.Err())
}

// CalDAVLog implements booking.Reader.
func (r *reader) CalDAVLog(ctx context.Context, staffID int64, limit int) ([]*booking.CalDAVLogEntry, error) {
	if limit <= 0 || limit > booking.CalDAVLogKeep {
		limit = booking.CalDAVLogKeep
	}
	rows, err := r.q.QueryContext(ctx, `SELECT id, staff_id, at, kind, message FROM caldav_log
		WHERE staff_id = ? ORDER BY id DESC LIMIT ?`, staffID, limit)
	if err != nil {
		return nil, r.mapErr("calendar sync log", err)
	}
	defer rows.Close()
	out := []*booking.CalDAVLogEntry{}
	for rows.Next() {
		var e booking.CalDAVLogEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.StaffID, &at, &e.Kind, &e.Message); err != nil {
			return nil, r.mapErr("calendar sync log", err)
		}
		e.At = time.Unix(at, 0)
		out = append(out, &e)
	}
	return out, r.mapErr("calendar sync log", rows.Err())
}

// SaveCalDAVAccount implements booking.Tx.
func (t *tx) SaveCalDAVAccount(ctx context.Context, a *booking.CalDAVAccount) error {
	if a == nil || strings.TrimSpace(a.Calendar) == "" {
		return booking.Errorf(booking.EINVALID, "A calendar connection needs the calendar's address.")
	}
	if err := newRefs(t).need(ctx, "staff", a.StaffID); err != nil {
		return err
	}
	if a.Created.IsZero() {
		a.Created = now()
	}
	var pulled int64
	if !a.Pulled.IsZero() {
		pulled = a.Pulled.Unix()
	}
	_, err := t.q.ExecContext(ctx, `INSERT INTO caldav_accounts (staff_id, server, calendar, calendar_name, made, user_name, password, privacy, created, pulled, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (staff_id) DO UPDATE SET server = excluded.server, calendar = excluded.calendar,
			calendar_name = excluded.calendar_name, made = excluded.made, user_name = excluded.user_name, password = excluded.password,
			privacy = excluded.privacy, created = excluded.created, pulled = excluded.pulled, error = excluded.error`,
		a.StaffID, a.Server, a.Calendar, a.CalendarName, bit(a.Made), a.User, bit(a.Password), a.Privacy, a.Created.Unix(), pulled, a.Error)
	return t.mapErr("save calendar connection", err)
}

// DeleteCalDAVAccount implements booking.Tx.
func (t *tx) DeleteCalDAVAccount(ctx context.Context, staffID int64) (bool, error) {
	for _, table := range []string{"caldav_items", "caldav_log"} {
		if _, err := t.q.ExecContext(ctx, "DELETE FROM "+table+" WHERE staff_id = ?", staffID); err != nil {
			return false, t.mapErr("delete calendar connection", err)
		}
	}
	res, err := t.q.ExecContext(ctx, "DELETE FROM caldav_accounts WHERE staff_id = ?", staffID)
	if err != nil {
		return false, t.mapErr("delete calendar connection", err)
	}
	n, err := res.RowsAffected()
	return n > 0, t.mapErr("delete calendar connection", err)
}

// SaveCalDAVItem implements booking.Tx.
func (t *tx) SaveCalDAVItem(ctx context.Context, it *booking.CalDAVItem) error {
	if it == nil || it.Href == "" {
		return booking.Errorf(booking.EINVALID, "A calendar item needs its address on the server.")
	}
	_, err := t.q.ExecContext(ctx, `INSERT INTO caldav_items (staff_id, appointment_id, href, etag, hash) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (staff_id, appointment_id) DO UPDATE SET href = excluded.href, etag = excluded.etag, hash = excluded.hash`,
		it.StaffID, it.AppointmentID, it.Href, it.ETag, it.Hash)
	return t.mapErr("save calendar item", err)
}

// DeleteCalDAVItem implements booking.Tx.
func (t *tx) DeleteCalDAVItem(ctx context.Context, staffID, appointmentID int64) error {
	_, err := t.q.ExecContext(ctx, "DELETE FROM caldav_items WHERE staff_id = ? AND appointment_id = ?", staffID, appointmentID)
	return t.mapErr("delete calendar item", err)
}

// AddCalDAVLog implements booking.Tx.
func (t *tx) AddCalDAVLog(ctx context.Context, e *booking.CalDAVLogEntry) error {
	if e == nil || e.Message == "" {
		return booking.Errorf(booking.EINVALID, "A sync log entry needs a message.")
	}
	if e.At.IsZero() {
		e.At = now()
	}
	err := t.q.QueryRowContext(ctx, `INSERT INTO caldav_log (staff_id, at, kind, message) VALUES (?, ?, ?, ?) RETURNING id`,
		e.StaffID, e.At.Unix(), e.Kind, e.Message).Scan(&e.ID)
	if err != nil {
		return t.mapErr("add to calendar sync log", err)
	}
	_, err = t.q.ExecContext(ctx, `DELETE FROM caldav_log WHERE staff_id = ? AND id < (
		SELECT id FROM caldav_log WHERE staff_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, e.StaffID, e.StaffID, booking.CalDAVLogKeep-1)
	return t.mapErr("add to calendar sync log", err)
}

// bit stores a boolean as 0 or 1.
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// InstanceID implements booking.Reader.
func (r *reader) InstanceID(ctx context.Context) (string, error) {
	var id string
	err := r.q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", booking.Errorf(booking.ESTORE, "The database has no instance id; it may be damaged.")
	}
	return id, r.mapErr("instance id", err)
}

var tokenHashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Feed implements booking.Reader.
func (r *reader) Feed(ctx context.Context, tokenHash string) (*booking.Feed, error) {
	if !tokenHashPattern.MatchString(tokenHash) {
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no such feed.")
	}
	fs, err := r.feeds(ctx, "WHERE token_hash = ?", tokenHash)
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no such feed.")
	}
	return fs[0], nil
}

// Feeds implements booking.Reader.
func (r *reader) Feeds(ctx context.Context, res booking.Resource) ([]*booking.Feed, error) {
	return r.feeds(ctx, "WHERE resource_kind = ? AND resource_id = ? ORDER BY created DESC, token_hash", string(res.Kind), res.ID)
}

func (r *reader) feeds(ctx context.Context, where string, args ...any) ([]*booking.Feed, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.q.QueryContext(ctx, "SELECT token_hash, resource_kind, resource_id, privacy, created, revoked FROM feeds "+where, args...)
	if err != nil {
		return nil, r.mapErr("feeds", err)
	}
	defer rows.Close()
	out := []*booking.Feed{}
	for rows.Next() {
		var f booking.Feed
		var kind string
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&f.TokenHash, &kind, &f.Resource.ID, &f.Privacy, &created, &revoked); err != nil {
			return nil, r.mapErr("feeds", err)
		}
		f.Resource.Kind = booking.ResourceKind(kind)
		f.Created = time.Unix(created, 0).In(loc)
		if revoked.Valid {
			t := time.Unix(revoked.Int64, 0).In(loc)
			f.Revoked = &t
		}
		out = append(out, &f)
	}
	return out, r.mapErr("feeds", rows.Err())
}

// BusySubscriptions implements booking.Reader.
func (r *reader) BusySubscriptions(ctx context.Context) ([]*booking.BusySubscription, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT staff_id, url, etag, last_modified, fetched, error, body FROM busy_subscriptions ORDER BY staff_id")
	if err != nil {
		return nil, r.mapErr("busy subscriptions", err)
	}
	defer rows.Close()
	out := []*booking.BusySubscription{}
	for rows.Next() {
		var s booking.BusySubscription
		var fetched int64
		if err := rows.Scan(&s.StaffID, &s.URL, &s.ETag, &s.LastModified, &fetched, &s.Error, &s.Body); err != nil {
			return nil, r.mapErr("busy subscriptions", err)
		}
		if fetched != 0 {
			s.Fetched = time.Unix(fetched, 0)
		}
		out = append(out, &s)
	}
	return out, r.mapErr("busy subscriptions", rows.Err())
}

// SaveFeed implements booking.Tx.
func (t *tx) SaveFeed(ctx context.Context, f *booking.Feed) error {
	if f == nil || !tokenHashPattern.MatchString(f.TokenHash) {
		return booking.Errorf(booking.EINVALID, "A feed needs the SHA-256 of its token.")
	}
	if f.Resource.Kind != booking.StaffResource && f.Resource.Kind != booking.RoomResource {
		return booking.Errorf(booking.EINVALID, "A feed is of a staff member or a room.")
	}
	table := map[booking.ResourceKind]string{booking.StaffResource: "staff", booking.RoomResource: "rooms"}[f.Resource.Kind]
	if err := newRefs(t).need(ctx, table, f.Resource.ID); err != nil {
		return err
	}
	if f.Created.IsZero() {
		f.Created = now()
	}
	var revoked sql.NullInt64
	if f.Revoked != nil {
		revoked = sql.NullInt64{Int64: f.Revoked.Unix(), Valid: true}
	}
	_, err := t.q.ExecContext(ctx, `INSERT INTO feeds (token_hash, resource_kind, resource_id, privacy, created, revoked)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET privacy = excluded.privacy, revoked = excluded.revoked`,
		f.TokenHash, string(f.Resource.Kind), f.Resource.ID, f.Privacy, f.Created.Unix(), revoked)
	return t.mapErr("save feed", err)
}

// DeleteBusySubscription implements booking.Tx.
func (t *tx) DeleteBusySubscription(ctx context.Context, staffID int64) (bool, error) {
	res, err := t.q.ExecContext(ctx, "DELETE FROM busy_subscriptions WHERE staff_id = ?", staffID)
	if err != nil {
		return false, t.mapErr("delete busy subscription", err)
	}
	n, err := res.RowsAffected()
	return n > 0, t.mapErr("delete busy subscription", err)
}

// SaveBusySubscription implements booking.Tx.
func (t *tx) SaveBusySubscription(ctx context.Context, s *booking.BusySubscription) error {
	if s == nil {
		return booking.Errorf(booking.EINVALID, "The subscription is missing.")
	}
	if err := newRefs(t).need(ctx, "staff", s.StaffID); err != nil {
		return err
	}
	var fetched int64
	if !s.Fetched.IsZero() {
		fetched = s.Fetched.Unix()
	}
	_, err := t.q.ExecContext(ctx, `INSERT INTO busy_subscriptions (staff_id, url, etag, last_modified, fetched, error, body)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (staff_id) DO UPDATE SET url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
			fetched = excluded.fetched, error = excluded.error, body = excluded.body`,
		s.StaffID, s.URL, s.ETag, s.LastModified, fetched, s.Error, s.Body)
	return t.mapErr("save busy subscription", err)
}

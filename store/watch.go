package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgChannel is the notification every PostgreSQL write transaction sends
// as it commits (see write): other workstations listen for it.
const pgChannel = "kapbook_changes"

// Watch calls changed, from a goroutine of Watch's own, after a change is
// committed to the database by any process, this one included, until ctx
// ends. On SQLite it asks every poll whether anything was committed
// (Version: SQLite's data_version, one pragma); on PostgreSQL it listens
// for the notification each commit sends (LISTEN kapbook_changes), so the
// news arrives within milliseconds, and asks every poll as well in case
// the listening connection was lost. A database that cannot be reached
// is asked again at the next poll: health (when not nil) hears of it once
// with the error in words (booking's), and once with nil when the database
// answers again.
func (db *DB) Watch(ctx context.Context, poll time.Duration, changed func(), health func(error)) {
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	last, _ := db.Version(ctx)
	down := false
	check := func() {
		v, err := db.Version(ctx)
		if ctx.Err() != nil {
			return
		}
		if (err != nil) != down {
			down = err != nil
			if health != nil {
				health(err)
			}
		}
		if err == nil && v != last {
			last = v
			changed()
		}
	}
	if !db.pg {
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				check()
			}
		}
	}
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.WithoutCancel(ctx))
		}
	}()
	for ctx.Err() == nil {
		if conn == nil {
			conn = db.listen(ctx)
		}
		if conn == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(poll):
			}
			check()
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 4*poll)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && wctx.Err() == nil {
			conn.Close(context.WithoutCancel(ctx)) // lost: listen again
			conn = nil
		}
		check()
	}
}

// listen opens a connection of its own that listens for other
// workstations' commits, or returns nil when the server cannot be reached.
func (db *DB) listen(ctx context.Context) *pgx.Conn {
	cctx, cancel := context.WithTimeout(ctx, pgConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, db.pgcfg.Copy())
	if err != nil {
		return nil
	}
	if _, err := conn.Exec(cctx, "LISTEN "+pgChannel); err != nil {
		conn.Close(cctx)
		return nil
	}
	return conn
}

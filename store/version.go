package store

import (
	"context"
	"database/sql"
	"sync"
)

// version tracks SQLite's data_version on a connection of its own. The
// pragma's value changes when any other connection, in this process or
// another, commits; the store never writes through this connection, so
// every commit counts.
type version struct {
	mu    sync.Mutex
	conn  *sql.Conn
	last  int64 // data_version last read on conn
	count int64 // what Version returns
}

// Version implements booking.Store with one PRAGMA on a held connection.
// The number it returns rises by one each time data_version is seen to
// change, and also when the connection had to be opened again, whose
// data_version counts afresh.
func (db *DB) Version(ctx context.Context) (int64, error) {
	if db.pg {
		return db.pgVersion(ctx)
	}
	v := &db.ver
	v.mu.Lock()
	defer v.mu.Unlock()
	fresh := false
	if v.conn == nil {
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return 0, db.mapErr("version", err)
		}
		v.conn, fresh = conn, true
	}
	var dv int64
	if err := v.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&dv); err != nil {
		v.conn.Close()
		v.conn = nil
		return 0, db.mapErr("version", err)
	}
	if fresh || dv != v.last {
		v.count++
		v.last = dv
	}
	return v.count, nil
}

// close releases the connection, before the pool closes.
func (v *version) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.conn != nil {
		v.conn.Close()
		v.conn = nil
	}
}

package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
)

// writer is the SQLite connection a DB's write transactions run on,
// kept open between them with the statements prepared on it.
//
// SQLite parses a statement each time it is prepared, and the driver
// prepares every statement it runs: recording one email's outcome, which
// the next email waits for, spent most of its time parsing its three
// statements (docs/benchmarks.md, Email). Statements prepared on a
// connection live as long as it does, so the connection is kept.
//
// One transaction at a time uses it: one that finds it taken runs on a
// connection of its own from the pool, unprepared, exactly as before
// (SQLite lets one write at a time anyway, and the second waits for the
// first at BEGIN IMMEDIATE). PostgreSQL needs none of this: pgx keeps
// each connection's prepared statements itself.
type writer struct {
	free  chan struct{} // holds a token while no transaction uses the writer
	mu    sync.Mutex    // guards conn and stmts against Close
	conn  *sql.Conn     // nil until the first write, or after a failure
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the statements kept: the store's statements are a few
// dozen, but some are built for a number of ids, and those beyond the
// bound are prepared for their transaction only.
const maxStmts = 256

func newWriter() *writer {
	w := &writer{free: make(chan struct{}, 1)}
	w.free <- struct{}{}
	return w
}

// take returns the writer's connection and its statements when no other
// transaction holds them, opening the connection if need be, and
// put must be called when the transaction ends. ok is false when
// another transaction holds them, or w is nil.
func (w *writer) take(ctx context.Context, sdb *sql.DB) (conn *sql.Conn, stmts map[string]*sql.Stmt, ok bool, err error) {
	if w == nil {
		return nil, nil, false, nil
	}
	select {
	case <-w.free:
	default:
		return nil, nil, false, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		c, err := sdb.Conn(ctx)
		if err != nil {
			w.free <- struct{}{}
			return nil, nil, false, err
		}
		w.conn, w.stmts = c, map[string]*sql.Stmt{}
	}
	return w.conn, w.stmts, true, nil
}

// put gives the connection back after a transaction; broken drops it and
// its statements (a failed rollback, or a connection the driver found
// bad), so that the next transaction opens another.
func (w *writer) put(broken bool) {
	if broken {
		w.mu.Lock()
		w.drop()
		w.mu.Unlock()
	}
	w.free <- struct{}{}
}

// drop closes the connection and its statements; w.mu is held.
func (w *writer) drop() {
	for _, st := range w.stmts {
		st.Close()
	}
	if w.conn != nil {
		w.conn.Close()
	}
	w.conn, w.stmts = nil, nil
}

// close closes the connection for DB.Close, after the transaction that
// holds it, if any, ends.
func (w *writer) close() {
	if w == nil {
		return
	}
	<-w.free
	w.mu.Lock()
	w.drop()
	w.mu.Unlock()
	w.free <- struct{}{}
}

// badConn reports whether err says the connection can no longer be used.
func badConn(err error) bool {
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}

// stmtConn is the querier of a write transaction on the writer's
// connection: each statement run with ExecContext or QueryRowContext (a
// row is read at once) is prepared once and kept in stmts.
type stmtConn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

// stmt returns q prepared on the connection, kept for later transactions
// while there are fewer than maxStmts, or nil when q is to run unprepared.
func (s stmtConn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := s.stmts[q]; st != nil {
		return st, nil
	}
	if len(s.stmts) >= maxStmts {
		return nil, nil
	}
	st, err := s.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.stmts[q] = st
	return st, nil
}

func (s stmtConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	} else if st == nil {
		return s.conn.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs q unprepared: a prepared statement has one cursor,
// and running it again while its rows are read (a query inside the loop
// over its own rows) would end the outer loop early.
func (s stmtConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.conn.QueryContext(ctx, q, args...)
}

func (s stmtConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, q)
	if err != nil || st == nil {
		// A failed prepare fails again here, with its error in the Row.
		return s.conn.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

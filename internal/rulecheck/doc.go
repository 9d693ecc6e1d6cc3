// Package rulecheck checks a whole kapbook database against the clinic's
// hard rules: those of docs/protocols.md, "A series over time", and of
// docs/architecture.md. It reads the SQLite tables with its own SQL and knows the
// rules by heart; it shares no code with the planner (package booking) or
// the store, so a mistake there cannot hide itself here. Its non-test
// files import only the standard library.
//
// Check reads each table once and works in memory, so it can run after
// every action of a simulated clinic year. It reports each broken rule as
// a Violation; one that an override recorded in the audit trail names is
// reported apart, as overridden.
package rulecheck

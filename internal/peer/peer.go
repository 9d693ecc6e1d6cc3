// Package peer lets tests use the real software named in the README's
// "The two commands" (parsers, servers, the ics corpus): a missing peer skips its
// test with the reason, unless KAPBOOK_REQUIRE_PEERS=1 makes it a failure,
// as in CI.
package peer

import (
	"os"
	"testing"
)

// Required reports whether missing peers fail tests (KAPBOOK_REQUIRE_PEERS=1).
func Required() bool { return os.Getenv("KAPBOOK_REQUIRE_PEERS") == "1" }

// Require skips or fails t when err says a peer is missing; nil does
// nothing.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if Required() {
		t.Fatalf("peer missing (KAPBOOK_REQUIRE_PEERS=1): %v; run bash scripts/deps.sh test", err)
	}
	t.Skipf("peer missing: %v; run bash scripts/deps.sh test", err)
}

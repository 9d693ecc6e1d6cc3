package caldav_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/davtest"
	"github.com/kapbook/kapbook/internal/secret"
)

// TestPeers_Discovery finds the account's calendars from the server's
// root, from the principal, from the calendar itself, and through
// /.well-known/caldav when the address given is not one the server knows.
func TestPeers_Discovery(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "")
	f := newFixture(t, 0)
	acct := f.connect(t, srv, "kapbook")
	ctx := context.Background()
	for _, from := range []string{srv.URL, srv.URL + "tara/", acct.Calendar, srv.URL + "no/such/place/"} {
		_, cals, err := caldav.Discover(ctx, f.db, from, srv.User, "")
		if err != nil {
			t.Errorf("from %s: %v", from, err)
			continue
		}
		if len(cals) != 1 || cals[0].URL != acct.Calendar || cals[0].Name != "kapbook" {
			t.Errorf("from %s: found %+v, want %s", from, cals, acct.Calendar)
		}
	}
}

// quotaServer is a CalDAV server that has a calendar and refuses every
// write with 507 Insufficient Storage, which no real server here can be
// made to answer on demand.
func quotaServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.Method {
		case "PROPFIND":
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusMultiStatus)
			io.WriteString(w, `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>`+r.URL.Path+`</D:href>
<D:propstat><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>full</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`)
		case "REPORT":
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusMultiStatus)
			io.WriteString(w, `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"/>`)
		case http.MethodPut:
			http.Error(w, "quota exceeded for user tara (secret server words)", http.StatusInsufficientStorage)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSync_FullQuota: a server that is full gets the words of the sync
// log, a retry later, and never its own text.
func TestSync_FullQuota(t *testing.T) {
	srv := quotaServer(t)
	f := newFixture(t, 1)
	ctx := context.Background()
	if _, err := f.sync.Connect(ctx, caldav.ConnectRequest{StaffID: f.therapist, Server: srv.URL, User: "tara", Calendar: srv.URL + "/tara/full/"}); err != nil {
		t.Fatal(err)
	}
	res, err := f.sync.Sync(ctx, f.therapist, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "no room left for this account (507 Insufficient Storage)") {
		t.Fatalf("sync against a full server: %+v", res)
	}
	log := f.logText(t)
	if !strings.Contains(log, "storage quota is used up") || !strings.Contains(log, "kapbook tries again from") || strings.Contains(log, "secret server words") {
		t.Errorf("sync log:\n%s", log)
	}
	// The same error again is not logged again.
	f.sync.Sync(ctx, f.therapist, true)
	if n := strings.Count(f.logText(t), "quota"); n != 1 {
		t.Errorf("the same failure logged %d times", n)
	}
	accts, _ := f.db.CalDAVAccounts(ctx)
	if len(accts) != 1 || !strings.Contains(accts[0].Error, "no room left") {
		t.Errorf("the connection's state: %+v", accts)
	}
}

// TestSync_PasswordOnAnotherDesk: a desk whose keyring lacks the
// calendar's password leaves the shared state and log alone (another
// desk may be syncing it well) and says why to its own caller only.
func TestSync_PasswordOnAnotherDesk(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "pw")
	f := newFixture(t, 1)
	f.connect(t, srv, "kapbook")
	f.syncNow(t)
	logBefore := f.logText(t)
	other := &caldav.Syncer{Store: f.db, Now: f.sync.Now} // another desk: nothing cached
	secret.Delete("caldav:tara@" + srv.Host)
	res, err := other.Sync(context.Background(), f.therapist, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "keyring holds no password") {
		t.Fatalf("sync without the password here: %+v", res)
	}
	if p := other.LocalProblem(f.therapist); !strings.Contains(p, "keyring holds no password") {
		t.Errorf("LocalProblem = %q", p)
	}
	if p := f.sync.LocalProblem(f.therapist); p != "" {
		t.Errorf("the desk with the password has a local problem: %q", p)
	}
	if got := f.logText(t); got != logBefore {
		t.Errorf("the shared log changed:\n%s", got)
	}
	accts, _ := f.db.CalDAVAccounts(context.Background())
	if len(accts) != 1 || accts[0].Error != "" {
		t.Errorf("the shared state changed: %+v", accts)
	}
}

// TestPeers_PrivacyModes: each privacy mode puts on the therapist's
// server what docs/privacy.md says: the full name, initials, or
// "Patient #N"; never the patient's email.
func TestPeers_PrivacyModes(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "")
	for _, tc := range []struct{ privacy, want, not string }{
		{"full", "Patient 000 Test", "P.0.T."},
		{"initials", "P.0.T.", "Patient 000 Test"},
		{"id", "Patient #", "P.0.T."},
	} {
		t.Run(tc.privacy, func(t *testing.T) {
			f := newFixture(t, 1)
			ctx := context.Background()
			home, _, err := caldav.Discover(ctx, f.db, srv.URL, srv.User, "")
			if err != nil {
				t.Fatal(err)
			}
			acct, err := f.sync.Connect(ctx, caldav.ConnectRequest{StaffID: f.therapist, Server: srv.URL, User: srv.User, Home: home,
				NewName: "privacy " + tc.privacy, Privacy: tc.privacy})
			if err != nil {
				t.Fatal(err)
			}
			f.syncNow(t)
			objs := raw(t, srv, acct.Calendar)
			if len(objs) == 0 {
				t.Fatal("nothing on the server")
			}
			for _, o := range objs {
				d := string(o.Data)
				if !strings.Contains(d, tc.want) || strings.Contains(d, tc.not) || strings.Contains(d, "@example.org") {
					t.Fatalf("privacy %s: want %q, not %q, no email, in:\n%s", tc.privacy, tc.want, tc.not, d)
				}
			}
		})
	}
}

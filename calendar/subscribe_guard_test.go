package calendar_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// guardServer is a test server that counts its requests and answers with
// serve (a weekly calendar when nil).
type guardServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newGuardServer(t *testing.T, serve http.HandlerFunc) *guardServer {
	t.Helper()
	s := &guardServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if serve != nil {
			serve(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/calendar")
		fmt.Fprint(w, subWeekly(9))
	}))
	t.Cleanup(s.Close)
	return s
}

// port is the server's port.
func (s *guardServer) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

// at is the server's private calendar address under host.
func (s *guardServer) at(host string) string {
	return "http://" + net.JoinHostPort(host, s.port()) + "/calendar/ical/" + subSecret + "/basic.ics"
}

// fetchWith fetches addr with a client that allows hosts.
func fetchWith(t *testing.T, addr string, hosts ...string) (*booking.BusySubscription, error) {
	t.Helper()
	sub := &booking.BusySubscription{StaffID: 1, URL: addr}
	_, err := calendar.Fetch(context.Background(), calendar.NewFetchClient(hosts), sub, subOpts)
	if err != nil && strings.Contains(err.Error()+sub.Error, subSecret) {
		t.Fatalf("err=%q shows the secret address", err)
	}
	return sub, err
}

// wantRefused fails the test unless err is a *FetchError refusing an
// internal address, whose reason says want.
func wantRefused(t *testing.T, err error, want string) {
	t.Helper()
	var fe *calendar.FetchError
	if !errors.As(err, &fe) || !errors.Is(err, calendar.ErrInternalAddress) || !strings.Contains(fe.Reason, want) {
		t.Fatalf("err=%v, want an internal address refused, saying %q", err, want)
	}
}

// TestCheckSubscriptionHost: what an address's host says by itself,
// before any name is looked up.
func TestCheckSubscriptionHost(t *testing.T) {
	const allowHint = "If this is the clinic's own calendar server, allow it: kapctl busy allow-host "
	tests := []struct {
		name, host string
		allowed    []string
		want       string // "" for allowed
	}{
		{"Loopback", "127.0.0.1", nil, "the calendar address points to this computer (127.0.0.1), which kapbook does not fetch from. " + allowHint + "127.0.0.1"},
		{"LoopbackRange", "127.1.2.3", nil, "this computer (127.1.2.3)"},
		{"LoopbackIPv6", "[::1]", nil, "this computer (::1), which kapbook does not fetch from. " + allowHint + "::1"},
		{"LoopbackMapped", "[::ffff:127.0.0.1]", nil, "this computer (127.0.0.1)"},
		{"LoopbackMappedHex", "[::ffff:7f00:1]", nil, "this computer (127.0.0.1)"},
		{"Unspecified", "0.0.0.0", nil, "this computer (0.0.0.0)"},
		{"UnspecifiedIPv6", "[::]", nil, "this computer (::)"},
		{"ThisNetwork", "0.1.2.3", nil, "this computer (0.1.2.3)"},
		{"Private10", "10.0.0.5", nil, "the calendar address points to the clinic's internal network (10.0.0.5), which kapbook does not fetch from. " + allowHint + "10.0.0.5"},
		{"Private172", "172.16.0.1", nil, "the clinic's internal network (172.16.0.1)"},
		{"Private172End", "172.31.255.254", nil, "the clinic's internal network (172.31.255.254)"},
		{"Private192", "192.168.1.10", nil, "the clinic's internal network (192.168.1.10)"},
		{"PrivateMapped", "[::ffff:10.0.0.5]", nil, "the clinic's internal network (10.0.0.5)"},
		{"UniqueLocal", "[fd12:3456::1]", nil, "the clinic's internal network (fd12:3456::1)"},
		{"UniqueLocalFC", "[fc00::1]", nil, "the clinic's internal network (fc00::1)"},
		{"CGNAT", "100.64.0.1", nil, "the clinic's internal network (100.64.0.1)"},
		{"LinkLocal", "169.254.1.1", nil, "the clinic's internal network (169.254.1.1)"},
		{"LinkLocalIPv6", "[fe80::1]", nil, "the clinic's internal network (fe80::1)"},
		{"NAT64Private", "[64:ff9b::a00:5]", nil, "the clinic's internal network (64:ff9b::a00:5)"},
		{"SixToFourLoopback", "[2002:7f00:1::1]", nil, "this computer (2002:7f00:1::1)"},
		{"Metadata", "169.254.169.254", nil, "the calendar address points to a cloud server's metadata service (169.254.169.254), which kapbook never fetches from"},
		{"MetadataAllowed", "169.254.169.254", []string{"169.254.169.254"}, "metadata service"},
		{"MetadataMapped", "[::ffff:169.254.169.254]", nil, "metadata service (169.254.169.254)"},
		{"MetadataAWSIPv6", "[fd00:ec2::254]", nil, "metadata service (fd00:ec2::254)"},
		{"MetadataName", "metadata.google.internal", nil, "the calendar address points to a cloud server's metadata service, which kapbook never fetches from"},
		{"MetadataNameDot", "Metadata.Google.Internal.", nil, "metadata service"},
		{"Multicast", "224.0.0.1", nil, "an address no calendar server can have (multicast or reserved) (224.0.0.1)"},
		{"MulticastIPv6", "[ff02::1]", nil, "multicast or reserved"},
		{"Broadcast", "255.255.255.255", nil, "multicast or reserved"},
		{"AllowedPrivate", "10.0.0.5", []string{"10.0.0.5"}, ""},
		{"AllowedLoopbackIPv6", "[::1]", []string{"[::1]"}, ""},
		{"OtherAllowed", "10.0.0.6", []string{"10.0.0.5", "calendar.clinic.lan"}, "10.0.0.6"},
		{"Public", "8.8.8.8", nil, ""},
		{"PublicIPv6", "[2606:4700::1111]", nil, ""},
		{"Name", "calendar.google.com", nil, ""}, // checked when resolved
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := calendar.CheckSubscriptionHost("https://"+tt.host+"/calendar/"+subSecret+".ics", tt.allowed)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err=%v, want %s allowed", err, tt.host)
				}
				return
			}
			wantRefused(t, err, tt.want)
			if strings.Contains(err.Error(), subSecret) {
				t.Fatalf("err=%q shows the secret", err)
			}
			if strings.Contains(tt.want, "metadata") || strings.Contains(tt.want, "multicast") {
				if strings.Contains(err.Error(), "allow-host") {
					t.Fatalf("err=%q offers to allow what cannot be allowed", err)
				}
			}
		})
	}
}

// TestFetch_Guard: a fetch connects only where the guard lets it, checked
// on the address actually dialed, and sends no request elsewhere.
func TestFetch_Guard(t *testing.T) {
	srv := newGuardServer(t, nil)

	t.Run("LiteralLoopbackRefused", func(t *testing.T) {
		before := srv.hits.Load()
		_, err := fetchWith(t, srv.at("127.0.0.1"))
		wantRefused(t, err, "points to this computer (127.0.0.1)")
		if _, err := fetchWith(t, srv.at("::ffff:127.0.0.1")); !errors.Is(err, calendar.ErrInternalAddress) {
			t.Fatalf("err=%v, want the IPv4-mapped form refused", err)
		}
		if srv.hits.Load() != before {
			t.Fatal("the server was asked")
		}
	})
	t.Run("NameResolvingToLoopbackRefused", func(t *testing.T) {
		before := srv.hits.Load()
		sub, err := fetchWith(t, srv.at("localhost"), "127.0.0.1", "calendar.clinic.lan")
		wantRefused(t, err, "the calendar server localhost is on this computer (")
		if !strings.Contains(sub.Error, "allow it: kapctl busy allow-host localhost") || srv.hits.Load() != before {
			t.Fatalf("error=%q hits=%d, want localhost refused before any request, and how to allow it", sub.Error, srv.hits.Load()-before)
		}
	})
	t.Run("AllowedNameWorks", func(t *testing.T) {
		before := srv.hits.Load()
		sub, err := fetchWith(t, srv.at("localhost"), "LocalHost")
		if err != nil || string(sub.Body) != subWeekly(9) || srv.hits.Load() != before+1 {
			t.Fatalf("err=%v body=%d bytes, want the calendar from the allowed host", err, len(sub.Body))
		}
	})
	t.Run("AllowedLiteralWorks", func(t *testing.T) {
		if _, err := fetchWith(t, srv.at("127.0.0.1"), "127.0.0.1"); err != nil {
			t.Fatalf("err=%v, want the calendar", err)
		}
	})
	t.Run("MetadataRefused", func(t *testing.T) {
		for _, addr := range []string{"http://169.254.169.254/latest/meta-data/iam/" + subSecret, "http://metadata.google.internal/computeMetadata/v1/?" + subSecret} {
			_, err := fetchWith(t, addr, "169.254.169.254", "metadata.google.internal")
			wantRefused(t, err, "metadata service")
		}
	})
}

// TestFetch_GuardRedirects: every redirect is checked like the first
// address: a server the clinic allows cannot send kapbook on to an
// internal address it does not allow, by address or by name.
func TestFetch_GuardRedirects(t *testing.T) {
	inner := newGuardServer(t, nil)
	redirectTo := func(target string) *guardServer {
		return newGuardServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		})
	}
	t.Run("ToLiteralAddress", func(t *testing.T) {
		outer := redirectTo(inner.at("127.0.0.1"))
		_, err := fetchWith(t, outer.at("localhost"), "localhost")
		wantRefused(t, err, "the calendar server localhost sent kapbook on to an address on this computer (127.0.0.1), which kapbook does not fetch from")
		if outer.hits.Load() != 1 || inner.hits.Load() != 0 {
			t.Fatalf("hits: outer=%d inner=%d, want the redirect not followed", outer.hits.Load(), inner.hits.Load())
		}
	})
	t.Run("ToName", func(t *testing.T) {
		outer := redirectTo(inner.at("localhost"))
		_, err := fetchWith(t, outer.at("127.0.0.1"), "127.0.0.1")
		wantRefused(t, err, "the calendar server 127.0.0.1 sent kapbook on to localhost, on this computer (")
		if outer.hits.Load() != 1 || inner.hits.Load() != 0 {
			t.Fatalf("hits: outer=%d inner=%d, want the redirect not followed", outer.hits.Load(), inner.hits.Load())
		}
	})
	t.Run("ToMetadata", func(t *testing.T) {
		outer := redirectTo("http://169.254.169.254/latest/meta-data/")
		_, err := fetchWith(t, outer.at("localhost"), "localhost")
		wantRefused(t, err, "sent kapbook on to an address on a cloud server's metadata service (169.254.169.254), which kapbook never fetches from")
	})
	t.Run("ToAllowed", func(t *testing.T) {
		outer := redirectTo(inner.at("127.0.0.1"))
		sub, err := fetchWith(t, outer.at("localhost"), "localhost", "127.0.0.1")
		if err != nil || string(sub.Body) != subWeekly(9) {
			t.Fatalf("err=%v, want the redirect followed to the allowed server", err)
		}
	})
	t.Run("TooMany", func(t *testing.T) {
		var loop *guardServer
		loop = newGuardServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, loop.at("127.0.0.1")+"?n="+fmt.Sprint(loop.hits.Load()), http.StatusFound)
		})
		sub, err := fetchWith(t, loop.at("127.0.0.1"), "127.0.0.1")
		if err == nil || !strings.Contains(sub.Error, "redirected more than 5 times") || loop.hits.Load() != 6 {
			t.Fatalf("err=%v requests=%d, want 5 redirects followed and no more", err, loop.hits.Load())
		}
	})
	t.Run("HTTPSToHTTP", func(t *testing.T) {
		var hits atomic.Int32
		tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.Redirect(w, r, inner.at("127.0.0.1"), http.StatusFound)
		}))
		defer tls.Close()
		client := calendar.NewFetchClient([]string{"127.0.0.1"})
		client.Transport.(*http.Transport).TLSClientConfig = tls.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		sub := &booking.BusySubscription{StaffID: 1, URL: tls.URL + "/" + subSecret + ".ics"}
		before := inner.hits.Load()
		_, err := calendar.Fetch(context.Background(), client, sub, subOpts)
		if err == nil || !strings.Contains(sub.Error, "redirected from a secure (https) address to an insecure (http) one") || hits.Load() != 1 || inner.hits.Load() != before {
			t.Fatalf("err=%v, want the https server's redirect to http refused", err)
		}
	})
}

// guardMarker stands in for what an internal service could answer: it
// must never show in an error.
const guardMarker = "SECRET-BODY-MARKER-42"

// TestFetch_ErrorsNeverQuoteTheBody: whatever the server answers, the
// error gives its status and content type, never its words.
func TestFetch_ErrorsNeverQuoteTheBody(t *testing.T) {
	tests := []struct {
		name   string
		serve  http.HandlerFunc
		reason string
	}{
		{"ErrorStatus", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, guardMarker)
		}, "answered 502 Bad Gateway"},
		{"HTMLPage", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html><body>"+guardMarker+"</body></html>")
		}, "answered 200 OK with content type text/html, which is not a calendar"},
		{"JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			fmt.Fprint(w, `{"AccessKeyId":"`+guardMarker+`"}`)
		}, "answered 200 OK with content type application/json, which is not a calendar"},
		{"PlainText", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			fmt.Fprint(w, guardMarker+"\n")
		}, "answered 200 OK with no content type, which is not a calendar"},
		{"CalendarWithAnError", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:"+guardMarker+"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		}, "the calendar has an error on line 3: the event's start (DTSTART): … is not a date"},
		{"CalendarWithABadZone", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID="+guardMarker+":20270301T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		}, "line 3: the time zone … is not one kapbook knows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newGuardServer(t, tt.serve)
			sub, err := fetchWith(t, srv.at("127.0.0.1"), "127.0.0.1")
			var fe *calendar.FetchError
			if !errors.As(err, &fe) || !strings.Contains(fe.Reason, tt.reason) {
				t.Fatalf("err=%v, want it to say %q", err, tt.reason)
			}
			explained := booking.ErrorMessage(calendar.Explain("Sam was not subscribed to the calendar", err))
			for _, s := range []string{err.Error(), sub.Error, fmt.Sprint(errors.Unwrap(err)), explained} {
				if strings.Contains(s, guardMarker) {
					t.Fatalf("%q quotes the body", s)
				}
			}
		})
	}
}

// TestFetch_StatusWordsAreKapbooks: a server's own words for its status
// (the reason phrase) are not shown either; the standard's are.
func TestFetch_StatusWordsAreKapbooks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				fmt.Fprint(conn, "HTTP/1.1 503 "+guardMarker+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}()
		}
	}()
	sub, err := fetchWith(t, "http://"+ln.Addr().String()+"/"+subSecret+".ics", "127.0.0.1")
	if err == nil || !strings.Contains(sub.Error, "answered 503 Service Unavailable") || strings.Contains(err.Error(), guardMarker) {
		t.Fatalf("err=%v, want 503 in the standard's words only", err)
	}
}

// TestSubscriptions_Guard: Subscribe and Refresh use the clinic's allowed
// hosts, read at each fetch.
func TestSubscriptions_Guard(t *testing.T) {
	ctx := context.Background()
	c := newSubClinic(t) // allows 127.0.0.1, not localhost
	srv := newGuardServer(t, nil)
	svc := &booking.Service{Store: c.db, Now: func() time.Time { return c.now }, Actor: "front desk"}

	_, err := c.svc.Subscribe(ctx, 1, "https://10.0.0.5/calendar/"+subSecret+".ics")
	wantRefused(t, err, "points to the clinic's internal network (10.0.0.5)")
	if msg := booking.ErrorMessage(calendar.Explain("Dr. Ana Reyes was not subscribed to the calendar", err)); msg != "Dr. Ana Reyes was not subscribed to the calendar; nothing was changed. "+
		"The calendar address points to the clinic's internal network (10.0.0.5), which kapbook does not fetch from. If this is the clinic's own calendar server, allow it: kapctl busy allow-host 10.0.0.5." {
		t.Fatalf("message=%q", msg)
	}
	_, err = c.svc.Subscribe(ctx, 1, srv.at("localhost"))
	wantRefused(t, err, "the calendar server localhost is on this computer")
	if len(c.subscriptions(t)) != 0 || srv.hits.Load() != 0 {
		t.Fatalf("subscriptions=%d requests=%d, want nothing stored or asked", len(c.subscriptions(t)), srv.hits.Load())
	}

	if _, err := svc.AllowCalendarHost(ctx, "localhost"); err != nil {
		t.Fatal(err)
	}
	if res, err := c.svc.Subscribe(ctx, 1, srv.at("localhost")); err != nil || res.Busy != 52 {
		t.Fatalf("subscribe: %+v err=%v, want the allowed host's calendar", res, err)
	}

	if _, err := svc.DisallowCalendarHost(ctx, "localhost"); err != nil {
		t.Fatal(err)
	}
	got, err := c.svc.Refresh(ctx, true)
	if err != nil || len(got) != 1 || !errors.Is(got[0].Err, calendar.ErrInternalAddress) || got[0].Busy != 52 || srv.hits.Load() != 1 {
		t.Fatalf("refresh=%+v err=%v requests=%d, want localhost refused again and the last copy kept", got, err, srv.hits.Load())
	}
	if e := c.subscriptions(t)[0].Error; !strings.Contains(e, "the calendar server localhost is on this computer") {
		t.Fatalf("subscription error=%q", e)
	}
}

package reminder_test

import (
	"crypto/tls"
	"fmt"
	"net/smtp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/internal/mailpittest"
)

// ceilingClient is the least any SMTP client can do to hand Mailpit a
// message: Go's net/smtp, no reading, composing or recording, no RSET.
type ceilingClient struct {
	addr string
	tls  *tls.Config // STARTTLS and AUTH PLAIN when set
}

func (c ceilingClient) dial(tb testing.TB) *smtp.Client {
	cl, err := smtp.Dial(c.addr)
	if err != nil {
		tb.Fatal(err)
	}
	if err := cl.Hello("localhost"); err != nil {
		tb.Fatal(err)
	}
	if c.tls != nil {
		if err := cl.StartTLS(c.tls); err != nil {
			tb.Fatal(err)
		}
		if err := cl.Auth(smtp.PlainAuth("", "clinic", "benchmark", "127.0.0.1")); err != nil {
			tb.Fatal(err)
		}
	}
	return cl
}

func (c ceilingClient) send(tb testing.TB, cl *smtp.Client, msg []byte) {
	c.sendTo(tb, cl, "clinic@example.org", []string{"patient@example.org"}, msg)
}

// sendTo sends msg from from to to: MAIL, RCPT for each, DATA.
func (c ceilingClient) sendTo(tb testing.TB, cl *smtp.Client, from string, to []string, msg []byte) {
	if err := cl.Mail(from); err != nil {
		tb.Fatal(err)
	}
	for _, r := range to {
		if err := cl.Rcpt(r); err != nil {
			tb.Fatal(err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(msg); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// oneConn sends n messages over conns connections at once (n/conns each)
// and returns how long it took.
func (c ceilingClient) oneConn(tb testing.TB, msg []byte, n, conns int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := c.dial(tb)
			for range n / conns {
				c.send(tb, cl, msg)
			}
			cl.Quit()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// prebuilt sends msgs one after the other over one connection and
// returns how long it took, from connecting to QUIT.
func (c ceilingClient) prebuilt(tb testing.TB, msgs []prebuilt) time.Duration {
	start := time.Now()
	cl := c.dial(tb)
	for _, m := range msgs {
		c.sendTo(tb, cl, m.from, m.to, m.data)
	}
	if err := cl.Quit(); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}

// connEach sends n messages one after the other, each over a new
// connection.
func (c ceilingClient) connEach(tb testing.TB, msg []byte, n int) time.Duration {
	start := time.Now()
	for range n {
		cl := c.dial(tb)
		c.send(tb, cl, msg)
		if err := cl.Quit(); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}

// ceilingMessage is a plain text message of about size bytes.
func ceilingMessage(size int) []byte {
	head := "From: <clinic@example.org>\r\nTo: <patient@example.org>\r\nSubject: Your appointment\r\n" +
		"Date: Mon, 01 Mar 2027 09:00:00 -0500\r\nMessage-ID: <ceiling@example.org>\r\n\r\n"
	line := "Please arrive ten minutes early and bring a list of your medicines.\r\n"
	return []byte(head + strings.Repeat(line, max(1, (size-len(head))/len(line))))
}

// BenchmarkMailpitCeiling measures what connection reuse can gain against
// Mailpit on this machine for any client, kapbook's or another: the
// least possible client (above), 1,000 messages of 300 bytes (hardly a
// message) and of 5 KB (the mean size of kapbook's messages with their
// calendar attachments in BenchmarkDispatchCeiling), over one connection,
// over four connections at once (which breaks "at most one message in
// flight"), and with a new connection per message, plain and with STARTTLS
// and a login. Mailpit's own work storing each message bounds the
// speed-up, which is why issue 4's "3 times faster than a connection per
// message" was withdrawn (issue 13); docs/benchmarks.md has the figures.
// BenchmarkDispatchCeiling compares the dispatcher with this client over
// one connection.
func BenchmarkMailpitCeiling(b *testing.B) {
	const n = 1000
	for _, srv := range []struct {
		name  string
		start func(testing.TB) *mailpittest.Server
	}{{"Plain", mailpittest.Start}, {"StartTLS", mailpittest.StartTLS}} {
		for _, size := range []int{300, 5 << 10} {
			b.Run(fmt.Sprintf("%s/%dB", srv.name, size), func(b *testing.B) {
				mp := srv.start(b)
				c := ceilingClient{addr: "127.0.0.1:" + strconv.Itoa(mp.SMTPPort), tls: mp.TLSConfig}
				msg := ceilingMessage(size)
				var one, four, each time.Duration
				runs := 0
				for b.Loop() {
					one += c.oneConn(b, msg, n, 1)
					four += c.oneConn(b, msg, n, 4)
					each += c.connEach(b, msg, n)
					runs++
				}
				if got, want := mp.Count(b), 3*n*runs; got != want {
					b.Fatalf("Mailpit holds %d messages, want %d", got, want)
				}
				b.ReportMetric(one.Seconds()/float64(runs), "s/1000-one-conn")
				b.ReportMetric(each.Seconds()/float64(runs), "s/1000-conn-each")
				b.ReportMetric(each.Seconds()/one.Seconds(), "speedup")
				b.ReportMetric(each.Seconds()/four.Seconds(), "speedup-4-conns")
			})
		}
	}
}

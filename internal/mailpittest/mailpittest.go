// Package mailpittest runs Mailpit, a real SMTP server with an HTTP API
// (see the README's "The two commands"), for tests: kapbook's messages go to it over SMTP
// and come back through its API. A missing Mailpit skips the test with the
// reason, unless KAPBOOK_REQUIRE_PEERS=1 makes it a failure (see
// internal/peer).
package mailpittest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/internal/peer"
)

// Path returns the mailpit program that scripts/deps.sh installs (in
// GOBIN, or GOPATH/bin), or one on PATH.
func Path() (string, error) {
	bin := os.Getenv("GOBIN")
	if bin == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err == nil {
			bin = filepath.Join(strings.TrimSpace(string(out)), "bin")
		}
	}
	if bin != "" {
		if path := filepath.Join(bin, "mailpit"); fileExists(path) {
			return path, nil
		}
	}
	if path, err := exec.LookPath("mailpit"); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("mailpit is not installed (not in %s, not on PATH)", bin)
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// FreePorts returns n different loopback TCP ports that were free a
// moment ago. All n are held open until all are chosen: asked for one at
// a time, the system may hand out the same port twice, and Mailpit's
// SMTP and HTTP servers then fight over it.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// Server is a running Mailpit.
type Server struct {
	// API is the base of its HTTP API, http://127.0.0.1:PORT.
	API string
	// SMTPPort is its SMTP port on 127.0.0.1.
	SMTPPort int
	// TLSConfig trusts the server's certificate, for a server started
	// with StartTLS; nil otherwise.
	TLSConfig *tls.Config
}

// selfSigned writes a new ECDSA P-256 certificate for 127.0.0.1 and
// localhost, valid for a day, and its key into dir, and returns the files
// and a pool that trusts the certificate.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailpittest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// Start starts Mailpit on free loopback ports with its database in a
// temporary folder, keeping every message it receives, waits until it
// answers, and stops it when t ends. Its SMTP is plain text with no
// login.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, t.TempDir())
}

// StartTLS starts Mailpit as Start does, but as a mail server on the
// Internet is set up: it requires STARTTLS (with a new self-signed
// certificate for 127.0.0.1) and a login (any user name and password).
// TLSConfig trusts that certificate.
func StartTLS(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	s := start(t, dir, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls", "--smtp-auth-accept-any")
	s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return s
}

func start(t testing.TB, dir string, args ...string) *Server {
	t.Helper()
	path, err := Path()
	peer.Require(t, err)
	ports := FreePorts(t, 2)
	s := &Server{SMTPPort: ports[0]}
	httpPort := ports[1]
	s.API = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	args = append([]string{"--listen", "127.0.0.1:" + strconv.Itoa(httpPort), "--smtp", "127.0.0.1:" + strconv.Itoa(s.SMTPPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--max", "0"}, args...)
	cmd := exec.Command(path, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting mailpit: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.API + "/api/v1/messages")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(s.SMTPPort)); err == nil {
					c.Close()
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v\n%s", err, log.Bytes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Get fetches path from the API and returns the body, decoding it as JSON
// into v unless v is nil. Anything but 200 OK fails t.
func (s *Server) Get(t testing.TB, path string, v any) []byte {
	t.Helper()
	resp, err := http.Get(s.API + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return b
}

// Address is a name and an address as the API gives them.
type Address struct{ Name, Address string }

// Summary is one message in a list.
type Summary struct {
	ID        string // Mailpit's id, for Message
	MessageID string // the Message-ID header, without angle brackets
	Subject   string
	To        []Address
	Created   time.Time // when Mailpit received it
	Size      int       // bytes as received
}

// Attachment is one attached file of a Message.
type Attachment struct {
	PartID, FileName, ContentType string
}

// Message is one message, read whole.
type Message struct {
	ID          string
	MessageID   string
	Subject     string
	From        Address
	To          []Address
	Cc, Bcc     []Address
	Text, HTML  string
	Attachments []Attachment
}

// Count returns how many messages Mailpit holds.
func (s *Server) Count(t testing.TB) int {
	t.Helper()
	var page struct{ Total int }
	s.Get(t, "/api/v1/messages?limit=1", &page)
	return page.Total
}

// Messages returns every message Mailpit holds, newest first, or those a
// search query (Mailpit's syntax, such as "to:jane@example.org") matches.
func (s *Server) Messages(t testing.TB, query string) []Summary {
	t.Helper()
	var out []Summary
	for {
		var page struct {
			Total    int
			Messages []Summary
		}
		path := "/api/v1/messages?limit=500&start=" + strconv.Itoa(len(out))
		if query != "" {
			path = "/api/v1/search?limit=500&start=" + strconv.Itoa(len(out)) + "&query=" + url.QueryEscape(query)
		}
		s.Get(t, path, &page)
		out = append(out, page.Messages...)
		if len(page.Messages) == 0 || len(out) >= page.Total {
			return out
		}
	}
}

// Message returns one message by Mailpit's id.
func (s *Server) Message(t testing.TB, id string) *Message {
	t.Helper()
	var m Message
	s.Get(t, "/api/v1/message/"+id, &m)
	return &m
}

// Raw returns one message as it arrived, headers and all (Mailpit adds
// Received and Return-Path).
func (s *Server) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return s.Get(t, "/api/v1/message/"+id+"/raw", nil)
}

// Part returns one part (an attachment) of a message, decoded.
func (s *Server) Part(t testing.TB, id, partID string) []byte {
	t.Helper()
	return s.Get(t, "/api/v1/message/"+id+"/part/"+partID, nil)
}

// DeleteAll deletes every message.
func (s *Server) DeleteAll(t testing.TB) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, s.API+"/api/v1/messages", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE /api/v1/messages: %s", resp.Status)
	}
}

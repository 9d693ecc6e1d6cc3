package reminder

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"
)

// dotWriter returns what net/textproto's DotWriter writes for data, the
// final dot included.
func dotWriter(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	w := textproto.NewWriter(bw).DotWriter()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDotted: dotted gives the very bytes net/textproto's DotWriter
// sends: CRLF line ends (a bare LF gets its CR), a leading dot doubled,
// and the final CRLF.CRLF, whatever the message ends with.
func TestDotted(t *testing.T) {
	for _, s := range []string{
		"", "a", "a\r\n", "a\n", "a\r", ".", ".\r\n", "..\r\n.a\r\n", "a\r\n.\r\nb", "a\nb\n.c\n",
		"\r", "\n", "\r\r\n", "\r\n\r\n", "a\rb\r\n", "a\r.b\r\n", "\r.\n", "x\r\n.\r\n",
		"Subject: Hi\r\n\r\nHello,\r\n.\r\n..and more\r\n",
	} {
		if got, want := dotted([]byte(s)), dotWriter(t, []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("dotted(%q) = %q, DotWriter writes %q", s, got, want)
		}
	}
}

// FuzzDotted: dotted and DotWriter agree on every message.
func FuzzDotted(f *testing.F) {
	for _, s := range []string{"", "a\r\n.b\r\n", "\r\r\n.", "line\nline\r\n.\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := dotted(data), dotWriter(t, data); !bytes.Equal(got, want) {
			t.Errorf("dotted(%q) = %q, DotWriter writes %q", data, got, want)
		}
	})
}

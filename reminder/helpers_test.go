package reminder_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"
)

// base64Reader decodes b, base64 wrapped in lines.
func base64Reader(t testing.TB, b []byte) io.Reader {
	t.Helper()
	out, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil))))
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	return bytes.NewReader(out)
}

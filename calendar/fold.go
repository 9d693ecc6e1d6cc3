package calendar

import (
	"bufio"
	"bytes"
	"unicode/utf8"
)

// maxLineOctets is the longest a content line may be, CRLF excluded
// (RFC 5545 section 3.1).
const maxLineOctets = 75

var foldCRLF = []byte("\r\n")

// writeFolded writes the CRLF-terminated content lines in b to w, folding
// each longer than 75 octets into a first line and continuation lines that
// start with a space, never cutting a UTF-8 character in two. The space
// counts toward a continuation line's 75 octets. It returns w's error, if
// any write failed.
func writeFolded(w *bufio.Writer, b []byte) error {
	for len(b) > 0 {
		line := b
		if i := bytes.Index(b, foldCRLF); i >= 0 {
			line, b = b[:i], b[i+2:]
		} else {
			b = nil
		}
		limit := maxLineOctets
		for len(line) > limit {
			cut := limit
			for cut > limit-utf8.UTFMax && !utf8.RuneStart(line[cut]) {
				cut--
			}
			w.Write(line[:cut])
			w.WriteString("\r\n ")
			line = line[cut:]
			limit = maxLineOctets - 1
		}
		w.Write(line)
		w.Write(foldCRLF)
	}
	_, err := w.Write(nil)
	return err
}

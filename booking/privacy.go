package booking

import (
	"context"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// revealingWords are the patterns of words that name the treatment, the
// drug or a diagnosis in English, Spanish, German, French or Portuguese,
// in text folded by foldWords (lower case, accents removed). Nothing a
// patient receives may contain them unless the clinic chose otherwise
// (docs/privacy.md, "Email"). Each begins, after an optional \b, with at
// least three letters that every match holds (revealingStems).
var revealingWords = []string{
	// the drug: ketamine, Ketamin, ketamina, kétamine, esketamine, cetamina
	`ketamin`, `cetamin`, `spravato`,
	// doses and infusions
	`dosing`, `\bdos(e|es|is|age|agem|ierung|ificacion|ificaciones)\b`,
	`infusion`, `infusao`, `infusoes`, `perfusion`, `perfusao`,
	// the therapy
	`psychedel`, `psicodel`, `psychotherap`, `psicoterap`, `\bkap\b`,
	// diagnoses
	`depressi`, `depresi`, `\bdepressao\b`, `\bdepressoes\b`,
	`\bptsd\b`, `\btept\b`, `\bespt\b`, `\btspt\b`, `\bptbs\b`, `trauma`,
	`anxiet`, `ansiedad`, `angststor`, `angsterkrank`,
	`bipola`,
	`addiction`, `adiccion`, `adiccao`, `\bsucht`, `suchterkrank`,
	`\bocd\b`, `obsessive.compuls`, `obsesivo.compuls`, `obsessivo.compuls`, `zwangsstor`, `obsessionnel`,
	`suicid`, `suizid`, `selbstmord`,
}

// revealing matches any of revealingWords.
var revealing = regexp.MustCompile(strings.Join(revealingWords, "|"))

// revealingStems are the letters each of revealingWords begins with: text
// that holds none of them cannot match, and is told so by a few substring
// searches instead of the regular expression, which costs about a
// microsecond a character (it runs for every email, and for every video
// link in it).
var revealingStems = func() []string {
	stems := make([]string, len(revealingWords))
	for i, w := range revealingWords {
		w = strings.TrimPrefix(w, `\b`)
		n := strings.IndexFunc(w, func(r rune) bool { return r < 'a' || r > 'z' })
		if n < 0 {
			n = len(w)
		}
		stems[i] = w[:n]
	}
	return stems
}()

// foldWords returns s in lower case with accents removed ("Kétamine" →
// "ketamine", "Depressão" → "depressao"), as revealing expects.
func foldWords(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// RevealsTreatment reports whether s names the treatment, the drug or a
// diagnosis, in any of the languages the clinic's patients may read
// (docs/privacy.md, "Email").
func RevealsTreatment(s string) bool {
	f := foldWords(s)
	for _, stem := range revealingStems {
		if strings.Contains(f, stem) {
			return revealing.MatchString(f)
		}
	}
	return false
}

// RevealingWord returns the first word of s that names the treatment,
// as typed, or s shortened when no single word does.
func RevealingWord(s string) string {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	}) {
		if RevealsTreatment(w) {
			return w
		}
	}
	return Clip(strings.TrimSpace(s), 40)
}

// checkTreatmentWords returns EINVALID when the patient-facing text s,
// which the front desk calls what, names the treatment and the clinic has
// not chosen to allow that.
func checkTreatmentWords(c *Clinic, what, s string) error {
	if (c != nil && c.TreatmentWordsAllowed) || !RevealsTreatment(s) {
		return nil
	}
	return Errorf(EINVALID, "%s says %q: by default nothing a patient receives names the treatment, the drug or a diagnosis (see docs/privacy.md). Change it, or let the clinic's own words name the treatment (kapctl clinic treatment-words allow, or Settings → Privacy). Nothing was saved.",
		what, Clip(RevealingWord(s), 40))
}

// SetTreatmentWords records whether the clinic's own patient-facing words
// (its name and address, the sender's name and address, video links) may
// name the treatment, with an audit entry. Allowing it is the clinic's
// explicit choice; by default they may not (docs/privacy.md).
func (s *Service) SetTreatmentWords(ctx context.Context, allowed bool) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		if c.TreatmentWordsAllowed == allowed {
			return nil
		}
		before := auditJSON(map[string]bool{"treatment_words_allowed": c.TreatmentWordsAllowed})
		c.TreatmentWordsAllowed = allowed
		if err := tx.SaveClinic(ctx, c); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "treatment-words", Before: before,
			After: auditJSON(map[string]bool{"treatment_words_allowed": allowed})})
	})
}

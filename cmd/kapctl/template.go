package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
)

// template lists, shows, sets and resets the clinic's own patient email
// templates:
//
//	kapctl template list
//	kapctl template show KIND [--html] [--default]
//	kapctl template preview KIND [--html]
//	kapctl template set KIND FILE [--html] [--allow-treatment-words]
//	kapctl template reset KIND
func (a *app) template(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("template needs a subcommand: list, show, preview, set or reset")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "list":
		if len(rest) > 0 {
			return usagef("template list takes no arguments")
		}
		return a.templateList()
	case "show":
		return a.templateShow(rest)
	case "preview":
		return a.templatePreview(rest)
	case "set":
		return a.templateSet(ctx, rest)
	case "reset":
		if len(rest) != 1 {
			return usagef("template reset needs one KIND: %s", kinds())
		}
		k, err := templateKind(rest[0])
		if err != nil {
			return err
		}
		if err := reminder.ResetTemplate(ctx, a.svc, k); err != nil {
			return err
		}
		return a.print(map[string]string{"kind": string(k), "template": "default"}, func(w *tw) {
			w.line("The %s message uses the default template again (text and HTML).", k)
		})
	default:
		return usagef("unknown command %q; template takes list, show, preview, set or reset", "template "+booking.Clip(sub, 40))
	}
}

// kinds lists the kinds of message for usage messages.
func kinds() string {
	s := ""
	for i, k := range reminder.Kinds {
		if i > 0 {
			s += ", "
		}
		s += string(k)
	}
	return s
}

// templateKind parses a kind of message.
func templateKind(s string) (reminder.Kind, error) {
	k := reminder.Kind(s)
	if !k.Valid() {
		return "", booking.Errorf(booking.EINVALID, "%q is not a kind of patient email; use %s.", booking.Clip(s, 40), kinds())
	}
	return k, nil
}

func (a *app) templateList() error {
	list := reminder.TemplateList(a.clinic)
	return a.print(list, func(w *tw) {
		part := func(own bool) string {
			if own {
				return "clinic's own"
			}
			return "default"
		}
		w.row("KIND", "TEXT", "HTML", "PROBLEM")
		for _, st := range list {
			problem := ""
			if st.Problem != "" {
				problem = oneLine(st.Problem) + " The default is sent until it is fixed."
			}
			w.row(st.Kind, part(st.OwnText), part(st.OwnHTML), problem)
		}
	})
}

// templateOut is the JSON form of one template part.
type templateOut struct {
	Kind   reminder.Kind `json:"kind"`
	Part   string        `json:"part"` // text or html
	Own    bool          `json:"own"`  // the clinic's own, not the default
	Source string        `json:"source"`
}

func (a *app) templateShow(args []string) error {
	fs := flag.NewFlagSet("template show", flag.ContinueOnError)
	html := fs.Bool("html", false, "")
	def := fs.Bool("default", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("template show needs one KIND: %s", kinds())
	}
	k, err := templateKind(pos[0])
	if err != nil {
		return err
	}
	c := a.clinic
	if *def {
		c = nil
	}
	s, _, err := reminder.ClinicSource(c, k)
	if err != nil {
		return err
	}
	o := templateOut{Kind: k, Part: "text", Source: s.Text}
	if c != nil {
		o.Own = c.Templates[string(k)].Text != ""
	}
	if *html {
		o.Part, o.Source = "html", s.HTML
		o.Own = c != nil && c.Templates[string(k)].HTML != ""
	}
	if a.json {
		return a.print(o, nil)
	}
	_, err = io.WriteString(a.out, o.Source)
	return err
}

func (a *app) templateSet(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("template set", flag.ContinueOnError)
	html := fs.Bool("html", false, "")
	allow := fs.Bool("allow-treatment-words", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("template set needs KIND and FILE (- for standard input)")
	}
	k, err := templateKind(pos[0])
	if err != nil {
		return err
	}
	text, err := readTemplate(pos[1])
	if err != nil {
		return err
	}
	if err := reminder.SaveTemplate(ctx, a.svc, k, text, reminder.TemplateOptions{HTML: *html, AllowRevealing: *allow}); err != nil {
		return err
	}
	part := "text"
	if *html {
		part = "HTML"
	}
	return a.print(map[string]string{"kind": string(k), "part": map[bool]string{true: "html", false: "text"}[*html], "template": "own"}, func(w *tw) {
		w.line("Saved the clinic's own %s template of the %s message; it was checked with sample appointments.", part, k)
	})
}

// readTemplate reads a template file, or standard input for "-", of at
// most booking.MaxTemplateSize bytes.
func readTemplate(name string) (string, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", booking.Errorf(booking.EINVALID, "The template file %q cannot be read: %s.", booking.Clip(name, 40), fileProblem(err))
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, booking.MaxTemplateSize+1))
	if err != nil {
		return "", booking.Errorf(booking.EINVALID, "The template file %q cannot be read: %s.", booking.Clip(name, 40), fileProblem(err))
	}
	if len(b) > booking.MaxTemplateSize {
		return "", booking.Errorf(booking.EINVALID, "The template file %q is too long (at most %d bytes).", booking.Clip(name, 40), booking.MaxTemplateSize)
	}
	return string(b), nil
}

// fileProblem says in words why a file could not be read.
func fileProblem(err error) string {
	switch {
	case os.IsNotExist(err):
		return "there is no such file"
	case os.IsPermission(err):
		return "permission denied"
	}
	return "it is not a readable file"
}

// templatePreview prints the message the clinic's template of a kind
// makes for a fictional patient: the subject and the plain text, or the
// HTML with --html.
func (a *app) templatePreview(args []string) error {
	fs := flag.NewFlagSet("template preview", flag.ContinueOnError)
	html := fs.Bool("html", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("template preview needs one KIND: %s", kinds())
	}
	k, err := templateKind(pos[0])
	if err != nil {
		return err
	}
	r, err := reminder.PreviewTemplate(a.clinic, k)
	if err != nil {
		var te *reminder.TemplateError
		if errors.As(err, &te) {
			return booking.Errorf(booking.EINVALID, "%s Fix it with kapctl template set, or reset it.", te.Message())
		}
		return err
	}
	if a.json {
		return a.print(map[string]string{"kind": string(k), "subject": r.Subject, "text": r.Text, "html": r.HTML}, nil)
	}
	if *html {
		_, err = io.WriteString(a.out, r.HTML)
		return err
	}
	_, err = fmt.Fprintf(a.out, "Subject: %s\n\n%s", r.Subject, r.Text)
	return err
}

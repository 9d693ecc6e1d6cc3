package resources

import "embed"

// Email holds the default patient email templates and preparation
// instructions, under "email/": for each message kind (confirmation,
// reminder, preparation, update, cancellation) KIND.txt.tmpl, a
// text/template that defines "subject" and "text", and KIND.html.tmpl, an
// html/template that defines "html"; layout.txt.tmpl and layout.html.tmpl
// hold the blocks they share; instructions.json the detailed preparation
// instructions. See package reminder for the variables.
//
//go:embed email/*.tmpl email/instructions.json
var Email embed.FS

package kit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// PathRequest is what AskPath asks for.
type PathRequest struct {
	// Title heads the dialog; Confirm is its highlighted button.
	Title, Confirm string
	// Name is the file name suggested when saving ("appointments.ics").
	Name string
	// Open asks for an existing file to read rather than a place to write.
	Open bool
	// Extensions filter what Browse… lists (".ics"); none: every file.
	Extensions []string
}

// PrefFolder is the preference holding the folder of the last file
// saved or opened, where the next one is suggested.
const PrefFolder = "kapbook.folder"

// AskPath asks for a file's path in a dialog that works from the keyboard
// as every other of kapbook's: the path is typed (the cursor is in it,
// with the folder used last, or Documents, and the suggested name filled
// in), Enter confirms and Escape closes. Browse… opens Fyne's file dialog
// for those who would rather click through folders; its Escape does not
// close it (Fyne's own), which is why it is not the first thing shown.
// Saving over an existing file asks first. done gets the path chosen,
// absolute; it is not called when the dialog is closed.
func (e *Env) AskPath(r PathRequest, done func(path string)) {
	if e.Window == nil {
		return
	}
	p := &pathDialog{env: e, req: r, done: done}
	p.show()
}

// pathDialog is AskPath's dialog.
type pathDialog struct {
	env     *Env
	req     PathRequest
	done    func(string)
	dlg     *dialog.CustomDialog
	field   *Field
	problem *widget.Label
	confirm *Button
}

func (p *pathDialog) show() {
	p.field = NewField(func() { p.dlg.Hide() })
	p.field.SetText(p.suggestion())
	p.field.CursorColumn = len([]rune(p.field.Text)) // at the end, to type a name
	p.field.OnSubmitted = func(string) { p.confirm.Tapped(nil) }
	p.field.OnChanged = func(string) { p.problem.Hide() }
	p.problem = widget.NewLabel("")
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Importance = widget.DangerImportance
	p.problem.Hide()
	what := "Save as"
	if p.req.Open {
		what = "File"
	}
	browse := NewButtonWithIcon("Browse…", theme.FolderOpenIcon(), p.browse)
	content := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(what), browse, p.field),
		p.problem)
	p.dlg = dialog.NewCustomWithoutButtons(p.req.Title, container.NewGridWrap(fyne.NewSize(MessageWidth+120, content.MinSize().Height+2*theme.Padding()+p.problemHeight()), content), p.env.Window)
	cancel := NewButtonWithIcon("Cancel", theme.CancelIcon(), p.dlg.Hide)
	p.confirm = NewButtonWithIcon(p.req.Confirm, theme.ConfirmIcon(), p.check)
	p.confirm.Importance = widget.HighImportance
	p.dlg.SetButtons([]fyne.CanvasObject{cancel, p.confirm})
	p.dlg.Show()
	p.env.Window.Canvas().Focus(p.field)
}

// problemHeight is room for two lines of a problem below the field.
func (p *pathDialog) problemHeight() float32 {
	return widget.NewLabel("1\n2").MinSize().Height
}

// suggestion is the path first shown: the suggested name in the folder
// used last, else in Documents, else in the home folder; the folder alone
// when opening.
func (p *pathDialog) suggestion() string {
	dir := ""
	if pr := p.env.Preferences(); pr != nil {
		dir = pr.String(PrefFolder)
	}
	if !isDir(dir) {
		dir = ""
		if home, err := os.UserHomeDir(); err == nil {
			dir = home
			if docs := filepath.Join(home, "Documents"); isDir(docs) {
				dir = docs
			}
		}
	}
	if p.req.Open || dir == "" {
		return dir + string(filepath.Separator)
	}
	return filepath.Join(dir, p.req.Name)
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return path != "" && err == nil && fi.IsDir()
}

// check confirms the path typed, or says in the dialog what is wrong with
// it; saving over a file asks first.
func (p *pathDialog) check() {
	path, problem := p.resolve(p.field.Text)
	if problem != "" {
		p.problem.SetText(problem)
		p.problem.Show()
		return
	}
	if _, serr := os.Stat(path); serr == nil && !p.req.Open {
		p.env.Confirm("Replace the file?", fmt.Sprintf("%s already exists. Replace it?", path), "Replace", func() { p.finish(path) })
		return
	}
	p.finish(path)
}

// resolve returns the absolute path typed, or why it cannot be used, in
// the front desk's words.
func (p *pathDialog) resolve(typed string) (path, problem string) {
	path = strings.TrimSpace(typed)
	if path == "" {
		return "", "Type where the file is, or press Browse…."
	}
	if rest, ok := strings.CutPrefix(path, "~"); ok && (rest == "" || rest[0] == '/' || rest[0] == filepath.Separator) {
		if home, err := os.UserHomeDir(); err == nil {
			path = home + rest
		}
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return "", "That is not a path to a file."
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir() && p.req.Open:
		return "", fmt.Sprintf("%s is a folder: add the file's name, or press Browse….", path)
	case err == nil && fi.IsDir():
		return "", fmt.Sprintf("%s is a folder: add a name for the file, such as %s.", path, p.req.Name)
	case err == nil && !fi.Mode().IsRegular():
		return "", fmt.Sprintf("%s is not an ordinary file.", path)
	case err == nil:
		return path, ""
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Sprintf("%s cannot be read here (%s).", path, reasonOf(err))
	case p.req.Open:
		return "", fmt.Sprintf("There is no file %s.", path)
	case !isDir(filepath.Dir(path)):
		return "", fmt.Sprintf("There is no folder %s.", filepath.Dir(path))
	}
	return path, ""
}

// reasonOf is err's last words, without the path the message already has.
func reasonOf(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// finish closes the dialog, remembers the folder and hands on the path.
func (p *pathDialog) finish(path string) {
	p.dlg.Hide()
	if pr := p.env.Preferences(); pr != nil {
		pr.SetString(PrefFolder, filepath.Dir(path))
	}
	p.done(path)
}

// browse opens Fyne's file dialog at the folder typed; the file chosen
// there is the answer (Fyne's save dialog asks itself before replacing).
func (p *pathDialog) browse() {
	dir := strings.TrimSpace(p.field.Text)
	if !isDir(dir) {
		dir = filepath.Dir(dir)
	}
	var loc fyne.ListableURI
	if isDir(dir) {
		if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			loc = l
		}
	}
	chosen := func(u fyne.URI) {
		if u == nil {
			return // closed
		}
		if u.Scheme() != "file" {
			p.problem.SetText("kapbook works only with files on this computer.")
			p.problem.Show()
			return
		}
		p.finish(u.Path())
	}
	var fd *dialog.FileDialog
	if p.req.Open {
		fd = dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			chosen(r.URI())
		}, p.env.Window)
	} else {
		fd = dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			w.Close()
			chosen(w.URI())
		}, p.env.Window)
		fd.SetFileName(filepath.Base(strings.TrimSpace(p.field.Text)))
		fd.SetConfirmText(p.req.Confirm)
	}
	if len(p.req.Extensions) > 0 {
		fd.SetFilter(storage.NewExtensionFileFilter(p.req.Extensions))
	}
	if loc != nil {
		fd.SetLocation(loc)
	}
	fd.Show()
}

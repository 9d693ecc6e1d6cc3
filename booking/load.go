package booking

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"sort"
)

// ClinicFile is the file form of a clinic: its settings, staff and rooms,
// as in resources/demo-clinic.json.
type ClinicFile struct {
	Clinic Clinic  `json:"clinic"`
	Staff  []Staff `json:"staff"`
	Rooms  []Room  `json:"rooms"`
}

// ParseClinicFile decodes and validates a clinic file. Unknown fields are
// refused.
func ParseClinicFile(data []byte) (*ClinicFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f ClinicFile
	if err := dec.Decode(&f); err != nil {
		return nil, Errorf(EINVALID, "The clinic file cannot be read: %s.", jsonProblem(data, err))
	}
	if dec.More() {
		return nil, Errorf(EINVALID, "The clinic file has extra content after the clinic.")
	}
	if err := f.Clinic.Validate(); err != nil {
		return nil, err
	}
	if len(f.Staff) > 10000 || len(f.Rooms) > 10000 {
		return nil, Errorf(EINVALID, "The clinic file lists too many staff or rooms.")
	}
	names := map[string]bool{}
	for i := range f.Staff {
		if err := f.Staff[i].Validate(); err != nil {
			return nil, err
		}
		if names[f.Staff[i].Name] {
			return nil, Errorf(EINVALID, "Two staff members are called %s; give each a distinct name.", f.Staff[i].Name)
		}
		names[f.Staff[i].Name] = true
	}
	names = map[string]bool{}
	for i := range f.Rooms {
		if err := f.Rooms[i].Validate(); err != nil {
			return nil, err
		}
		if names[f.Rooms[i].Name] {
			return nil, Errorf(EINVALID, "Two rooms are called %s; give each a distinct name.", f.Rooms[i].Name)
		}
		names[f.Rooms[i].Name] = true
	}
	return &f, nil
}

// LoadProtocols reads and validates every *.json file in dir of fsys,
// ordered by id. The first invalid file fails the load, naming the file.
func LoadProtocols(fsys fs.FS, dir string) ([]*Protocol, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Protocol
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		p, err := ParseProtocol(data)
		if err != nil {
			return nil, Errorf(EINVALID, "%s: %s", path.Base(name), ErrorMessage(err))
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

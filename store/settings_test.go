package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// settingsService returns a service on a fresh fixture database.
func settingsService(t *testing.T) (*DB, *fixture, *booking.Service) {
	t.Helper()
	db := MustOpenDB(t)
	f := MustFixture(t, db)
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	return db, f, &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "Front desk"}
}

// lastAudit returns the newest audit entry.
func lastAudit(t *testing.T, db *DB) *booking.AuditEntry {
	t.Helper()
	list, err := db.Audit(context.Background(), booking.AuditFilter{Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("audit=%v, %v", list, err)
	}
	return list[0]
}

func TestService_SaveClinic(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db, _, svc := settingsService(t)
		email := &booking.EmailSettings{Transport: booking.EmailEMLDir, FromName: "Appointments"}
		if err := svc.SetEmail(ctx, email); err != nil {
			t.Fatal(err)
		}
		c, _ := db.Clinic(ctx)
		c.Email = nil // as a screen that loaded the clinic before SetEmail would hold it
		c.Name = "  Renamed Clinic "
		c.Hours["sat"] = []booking.Span{{Start: 9 * 60, End: 13 * 60}}
		late, _ := booking.ParseDate("2027-12-24")
		early, _ := booking.ParseDate("2027-04-05")
		c.Closures = []booking.Closure{{From: late, To: late + 1, Reason: "Holidays"}, {From: early, To: early, Reason: "Training"}}
		if _, err := svc.SaveClinic(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Clinic(ctx)
		if got.Name != "Renamed Clinic" || len(got.Hours["sat"]) != 1 || len(got.Closures) != 2 || got.Closures[0].From != early {
			t.Fatalf("stored %+v, want the new name, Saturday hours and closures in date order", got)
		}
		if got.Email == nil || got.Email.FromName != "Appointments" {
			t.Fatalf("email=%+v, want the stored settings kept", got.Email)
		}
		if a := lastAudit(t, db); a.Action != "clinic" || a.Actor != "Front desk" || !strings.Contains(a.Before, "Test Clinic") || !strings.Contains(a.After, "Renamed Clinic") {
			t.Fatalf("audit=%+v", a)
		}
	})
	for name, tc := range map[string]struct {
		edit func(c *booking.Clinic)
		want string
	}{
		"ErrZone": {func(c *booking.Clinic) { c.TimeZone = "Mars/Olympus" }, `"Mars/Olympus" is not a known time zone; use a name such as America/New_York.`},
		"ErrOverlap": {func(c *booking.Clinic) {
			c.Hours["mon"] = []booking.Span{{Start: 480, End: 720}, {Start: 700, End: 900}}
		}, "Clinic opening hours: the periods on mon overlap or are out of order."},
		"ErrName": {func(c *booking.Clinic) { c.Name = " " }, "Clinic name is required."},
	} {
		t.Run(name, func(t *testing.T) {
			db, _, svc := settingsService(t)
			c, _ := db.Clinic(ctx)
			c.Name = "Renamed"
			tc.edit(c)
			_, err := svc.SaveClinic(ctx, c)
			if booking.ErrorCode(err) != booking.EINVALID || booking.ErrorMessage(err) != tc.want {
				t.Fatalf("err=%v, want %q", err, tc.want)
			}
			if got, _ := db.Clinic(ctx); got.Name != "Test Clinic" || got.TimeZone != "America/New_York" || len(got.Hours["mon"]) != 1 {
				t.Fatalf("stored %+v after a refusal", got)
			}
			if list, _ := db.Audit(ctx, booking.AuditFilter{}); len(list) != 0 {
				t.Fatalf("audit entries %+v added after a refusal", list)
			}
		})
	}
}

func TestService_SaveStaff(t *testing.T) {
	ctx := context.Background()
	db, f, svc := settingsService(t)
	// Busy times imported before stay when the details are edited.
	busy := []booking.Interval{{Start: time.Date(2027, 3, 2, 14, 0, 0, 0, time.UTC), End: time.Date(2027, 3, 2, 16, 0, 0, 0, time.UTC)}}
	MustUpdate(t, db, func(tx booking.Tx) error {
		s := *f.therapist
		s.Busy = busy
		return tx.SaveStaff(ctx, &s)
	})
	edit := *f.therapist
	edit.Busy = nil
	edit.Qualifications = []string{" KAP ", ""}
	if _, err := svc.SaveStaff(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	list, _ := db.StaffList(ctx)
	if got := list[0]; len(got.Busy) != 1 || !got.Busy[0].Start.Equal(busy[0].Start) || len(got.Qualifications) != 1 || got.Qualifications[0] != "KAP" {
		t.Fatalf("stored %+v, want busy kept and qualifications trimmed", got)
	}
	if a := lastAudit(t, db); a.Action != "staff" || strings.Contains(a.After, "busy") {
		t.Fatalf("audit=%+v, want a staff entry without busy times", a)
	}

	n := &booking.Staff{Name: "Nina Nurse", Roles: []booking.Role{booking.RoleNurse}, Busy: busy}
	if _, err := svc.SaveStaff(ctx, n); err != nil {
		t.Fatal(err)
	}
	list, _ = db.StaffList(ctx)
	if n.ID == 0 || len(list) != 3 || list[2].Name != "Nina Nurse" || len(list[2].Busy) != 0 {
		t.Fatalf("new member id=%d stored %+v", n.ID, list[len(list)-1])
	}
	if a := lastAudit(t, db); a.Action != "staff-add" {
		t.Fatalf("audit=%+v, want staff-add", a)
	}

	for name, tc := range map[string]struct {
		s    *booking.Staff
		code string
		want string
	}{
		"ErrSameName": {&booking.Staff{Name: "tara therapist", Roles: []booking.Role{booking.RoleTherapist}}, booking.EINVALID, "Another staff member is already called Tara Therapist; give each a distinct name."},
		"ErrNoRole":   {&booking.Staff{Name: "Rolf"}, booking.EINVALID, "Rolf needs at least one role: therapist, prescriber or nurse."},
		"ErrUnknown":  {&booking.Staff{ID: 999, Name: "Ghost", Roles: []booking.Role{booking.RoleNurse}}, booking.ENOTFOUND, "There is no staff member with id 999."},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.SaveStaff(ctx, tc.s)
			if booking.ErrorCode(err) != tc.code || booking.ErrorMessage(err) != tc.want {
				t.Fatalf("err=%v, want %s %q", err, tc.code, tc.want)
			}
			if list, _ := db.StaffList(ctx); len(list) != 3 {
				t.Fatalf("staff=%d after a refusal, want 3", len(list))
			}
		})
	}
}

func TestService_SaveRoom(t *testing.T) {
	ctx := context.Background()
	db, f, svc := settingsService(t)
	r := &booking.Room{Name: " Consult A ", Kind: booking.RoomConsult, Equipment: []string{" ", "desk "}}
	if err := svc.SaveRoom(ctx, r); err != nil {
		t.Fatal(err)
	}
	rooms, _ := db.Rooms(ctx)
	if r.ID == 0 || len(rooms) != 2 || rooms[1].Name != "Consult A" || len(rooms[1].Equipment) != 1 || rooms[1].Equipment[0] != "desk" {
		t.Fatalf("rooms=%+v", rooms)
	}
	if a := lastAudit(t, db); a.Action != "room-add" || a.Note != "Consult A (room 2)" {
		t.Fatalf("audit=%+v", a)
	}
	err := svc.SaveRoom(ctx, &booking.Room{Name: "dosing 1", Kind: booking.RoomConsult})
	if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), "Another room is already called Dosing 1") {
		t.Fatalf("err=%v", err)
	}
	// Saving a room under its own name is no clash.
	same := *f.room
	same.Equipment = append(same.Equipment, "recliner")
	if err := svc.SaveRoom(ctx, &same); err != nil {
		t.Fatal(err)
	}
	if rooms, _ := db.Rooms(ctx); len(rooms) != 2 || !rooms[0].HasEquipment("recliner") {
		t.Fatalf("rooms=%+v", rooms)
	}
}

func TestService_DuplicateProtocol(t *testing.T) {
	ctx := context.Background()
	db, f, svc := settingsService(t)
	first, err := svc.DuplicateProtocol(ctx, f.protocol.ID)
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.DuplicateProtocol(ctx, f.protocol.ID)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != "kap-mini-copy" || second.ID != "kap-mini-copy-2" || first.Name != "Mini KAP (copy)" {
		t.Fatalf("copies %s %q and %s", first.ID, first.Name, second.ID)
	}
	all, _ := db.Protocols(ctx)
	if len(all) != 3 {
		t.Fatalf("protocols=%d, want 3", len(all))
	}
	got, _ := db.Protocol(ctx, "kap-mini-copy")
	if len(got.Steps) != 2 || got.Steps[1].Gap == nil || *got.Steps[1].Gap != *f.protocol.Steps[1].Gap {
		t.Fatalf("copy=%+v, want the original's steps", got)
	}
	if orig, _ := db.Protocol(ctx, f.protocol.ID); orig.Name != "Mini KAP" {
		t.Fatalf("original renamed to %q", orig.Name)
	}
	if a := lastAudit(t, db); a.Action != "protocol" || a.Note != "kap-mini-copy-2 (copy of kap-mini)" {
		t.Fatalf("audit=%+v", a)
	}
	if _, err := svc.DuplicateProtocol(ctx, "nope"); booking.ErrorCode(err) != booking.ENOTFOUND {
		t.Fatalf("unknown: %v", err)
	}
}

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

func TestInstanceID(t *testing.T) {
	a, b := MustOpenDB(t), MustOpenDB(t)
	ia, err := a.InstanceID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ib, _ := b.InstanceID(context.Background())
	if len(ia) != 32 || ia == ib {
		t.Fatalf("ids %q and %q, want two different 32-hex-digit ids", ia, ib)
	}
}

func TestFeeds(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	staff := &booking.Staff{Name: "Dr. Ana Reyes", Roles: []booking.Role{booking.RoleTherapist}, Hours: booking.WeeklyHours{}}
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveStaff(ctx, staff) })
	sum := sha256.Sum256([]byte("token"))
	f := &booking.Feed{TokenHash: hex.EncodeToString(sum[:]), Resource: booking.Resource{Kind: booking.StaffResource, ID: staff.ID}, Privacy: "initials"}
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveFeed(ctx, f) })
	got, err := db.Feed(ctx, f.TokenHash)
	if err != nil || got.Resource != f.Resource || got.Revoked != nil || got.Privacy != "initials" {
		t.Fatalf("feed=%+v err=%v, want the live feed", got, err)
	}
	now := time.Unix(time.Now().Unix(), 0)
	f.Revoked = &now
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveFeed(ctx, f) })
	if got, _ := db.Feed(ctx, f.TokenHash); got.Revoked == nil || !got.Revoked.Equal(now) {
		t.Fatalf("feed=%+v, want revoked at %v", got, now)
	}
	if _, err := db.Feed(ctx, "nothex"); booking.ErrorCode(err) != booking.ENOTFOUND {
		t.Fatalf("err=%v, want ENOTFOUND", err)
	}
	list, _ := db.Feeds(ctx, f.Resource)
	if len(list) != 1 {
		t.Fatalf("feeds=%d, want 1", len(list))
	}
	bad := &booking.Feed{TokenHash: f.TokenHash[:63] + "0", Resource: booking.Resource{Kind: booking.RoomResource, ID: 99}}
	err = db.Update(ctx, func(tx booking.Tx) error { return tx.SaveFeed(ctx, bad) })
	if booking.ErrorCode(err) != booking.ENOTFOUND {
		t.Fatalf("err=%v, want ENOTFOUND for an unknown room", err)
	}
}

func TestBusySubscriptions(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	staff := &booking.Staff{Name: "Sam Okafor", Roles: []booking.Role{booking.RoleTherapist}, Hours: booking.WeeklyHours{}}
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveStaff(ctx, staff) })
	s := &booking.BusySubscription{StaffID: staff.ID, URL: "https://example.org/cal.ics", ETag: `"1"`, Fetched: time.Unix(1800000000, 0), Body: []byte("BEGIN:VCALENDAR")}
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveBusySubscription(ctx, s) })
	s.ETag, s.Error = `"2"`, "the server did not answer"
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveBusySubscription(ctx, s) })
	got, err := db.BusySubscriptions(ctx)
	if err != nil || len(got) != 1 || got[0].ETag != `"2"` || got[0].Error == "" || string(got[0].Body) != "BEGIN:VCALENDAR" || !got[0].Fetched.Equal(s.Fetched) {
		t.Fatalf("subscriptions=%+v err=%v", got, err)
	}
}

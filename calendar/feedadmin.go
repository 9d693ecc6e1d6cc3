package calendar

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// FeedAdmin makes, rotates and revokes the addresses of staff members' and
// rooms' calendar feeds in a Store, recording each change in the audit
// trail without the token. Only a token's hash is stored, so a new
// address can be shown only when it is made.
type FeedAdmin struct {
	Store booking.Store
	Now   func() time.Time // nil: time.Now
	Actor string           // who acts, for the audit trail
}

// NewFeed is a feed address just made: Token is in no store and cannot
// be shown again.
type NewFeed struct {
	Token   string
	Feed    *booking.Feed
	Revoked int // live addresses of the same resource that stopped working
}

// URL returns the feed's address under base, an http(s) address without
// a trailing slash, such as http://127.0.0.1:8080.
func (n *NewFeed) URL(base string) string { return base + FeedPath(n.Token) }

func (a *FeedAdmin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Live returns the live (not revoked) feeds of r, newest first.
func (a *FeedAdmin) Live(ctx context.Context, r booking.Reader, res booking.Resource) ([]*booking.Feed, error) {
	all, err := r.Feeds(ctx, res)
	if err != nil {
		return nil, err
	}
	var live []*booking.Feed
	for _, f := range all {
		if f.Revoked == nil {
			live = append(live, f)
		}
	}
	return live, nil
}

// FeedRequest asks for a change to the calendar feed of one staff member
// or room.
type FeedRequest struct {
	Resource booking.Resource
	Name     string // the staff member's or room's name, for the audit trail
	// Privacy is how the feed shows patients. Empty: for a new address, as
	// the live feed did, or FeedPrivacy's default when there is none.
	Privacy Privacy
	// Rotate makes a new address even when there is a live one, which
	// stops working; without it a live feed is refused (ECONFLICT) unless
	// KeepAddress is set.
	Rotate bool
	// KeepAddress, with Privacy, changes what the live feed shows and
	// keeps its address; with no live feed a new address is made.
	KeepAddress bool
	// Revoke ends every live feed instead; ECONFLICT when there is none.
	Revoke bool
}

// FeedChange is what Change did.
type FeedChange struct {
	New     *NewFeed // the new address, when one was made
	Revoked int      // live addresses that stopped working
	Changed int      // live feeds whose privacy changed (KeepAddress)
	Privacy Privacy  // how the feed shows patients now
}

// Change makes, rotates, re-privacies or revokes the feed of one staff
// member or room in one transaction, as FeedRequest says, recording each
// change in the audit trail without the token: kapctl feed url and
// Settings → Calendar feeds both come here. Returns ENOTFOUND for an
// unknown staff member or room, EINVALID for a request that asks two
// contrary things, ECONFLICT as FeedRequest says.
func (a *FeedAdmin) Change(ctx context.Context, req FeedRequest) (*FeedChange, error) {
	switch {
	case req.Rotate && req.Revoke:
		return nil, booking.Errorf(booking.EINVALID, "A feed is either rotated or revoked, not both.")
	case req.Revoke && req.Privacy != "":
		return nil, booking.Errorf(booking.EINVALID, "A revoked feed shows nothing, so it takes no privacy.")
	case req.Privacy != "" && FeedPrivacy(string(req.Privacy)) != req.Privacy:
		return nil, booking.Errorf(booking.EINVALID, "%q is not a feed privacy; use full, initials or id.", booking.Clip(string(req.Privacy), 40))
	}
	who := FeedLabel(req.Resource, req.Name)
	out := &FeedChange{Privacy: req.Privacy}
	err := a.Store.Update(ctx, func(tx booking.Tx) error {
		now := a.now()
		live, err := a.Live(ctx, tx, req.Resource)
		if err != nil {
			return err
		}
		switch {
		case req.Revoke:
			if len(live) == 0 {
				return booking.Errorf(booking.ECONFLICT, "%s has no live calendar feed to revoke.", who)
			}
			out.Revoked, err = RevokeFeedsTx(ctx, tx, live, who, a.Actor, now)
			return err
		case len(live) > 0 && !req.Rotate && (!req.KeepAddress || req.Privacy == ""):
			c, err := tx.Clinic(ctx)
			if err != nil {
				return err
			}
			return booking.Errorf(booking.ECONFLICT, "%s already has a live calendar feed, made %s. Its address cannot be shown again (kapbook keeps only a fingerprint of it): rotate it for a new address, which stops the old one, or revoke it.",
				who, live[0].Created.In(c.Location()).Format("Mon 2 Jan 2006"))
		case len(live) > 0 && !req.Rotate:
			for _, f := range live {
				if Privacy(f.Privacy) == req.Privacy {
					continue
				}
				before := *f
				f.Privacy = string(req.Privacy)
				if err := tx.SaveFeed(ctx, f); err != nil {
					return err
				}
				if err := tx.AddAudit(ctx, &booking.AuditEntry{At: now, Actor: a.Actor, Action: "feed",
					Note:   "Calendar feed of " + who + ": now shows patients as " + PrivacyWords(req.Privacy) + ".",
					Before: feedAuditJSON(&before), After: feedAuditJSON(f)}); err != nil {
					return err
				}
				out.Changed++
			}
			return nil
		}
		if out.Privacy == "" {
			out.Privacy = PrivacyInitials
			if len(live) > 0 {
				out.Privacy = FeedPrivacy(live[0].Privacy)
			}
		}
		if out.Revoked, err = RevokeFeedsTx(ctx, tx, live, who, a.Actor, now); err != nil {
			return err
		}
		out.New, err = CreateFeedTx(ctx, tx, req.Resource, who, out.Privacy, a.Actor, now)
		if out.New != nil {
			out.New.Revoked = out.Revoked
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Create makes a new feed address for res (named name in the audit
// trail), showing patients as privacy says (FeedPrivacy's default when
// empty). A resource with a live feed keeps it unless rotate is set: then
// its live addresses are revoked in the same transaction. Returns
// ECONFLICT when res has a live feed and rotate is not set, ENOTFOUND for
// an unknown staff member or room.
func (a *FeedAdmin) Create(ctx context.Context, res booking.Resource, name string, privacy Privacy, rotate bool) (*NewFeed, error) {
	ch, err := a.Change(ctx, FeedRequest{Resource: res, Name: name, Privacy: FeedPrivacy(string(privacy)), Rotate: rotate})
	if err != nil {
		return nil, err
	}
	return ch.New, nil
}

// Revoke ends every live feed of res: their addresses stop working. It
// returns how many there were. Returns ECONFLICT when there is none.
func (a *FeedAdmin) Revoke(ctx context.Context, res booking.Resource, name string) (int, error) {
	ch, err := a.Change(ctx, FeedRequest{Resource: res, Name: name, Revoke: true})
	if err != nil {
		return 0, err
	}
	return ch.Revoked, nil
}

// CreateFeedTx stores a new feed of res in tx, showing patients as
// privacy says, with an audit entry naming it by label (FeedLabel); the
// token goes nowhere but the result. It revokes nothing: a caller that
// replaces a feed revokes the old one first (RevokeFeedsTx).
func CreateFeedTx(ctx context.Context, tx booking.Tx, res booking.Resource, label string, privacy Privacy, actor string, now time.Time) (*NewFeed, error) {
	privacy = FeedPrivacy(string(privacy))
	token, hash, err := NewFeedToken()
	if err != nil {
		return nil, err
	}
	f := &booking.Feed{TokenHash: hash, Resource: res, Privacy: string(privacy), Created: now}
	if err := tx.SaveFeed(ctx, f); err != nil {
		return nil, err
	}
	err = tx.AddAudit(ctx, &booking.AuditEntry{At: now, Actor: actor, Action: "feed",
		Note: "Calendar feed of " + label + ": new address, showing patients as " + PrivacyWords(privacy) + ".", After: feedAuditJSON(f)})
	if err != nil {
		return nil, err
	}
	return &NewFeed{Token: token, Feed: f}, nil
}

// RevokeFeedsTx marks feeds revoked at now in tx, each with an audit entry
// naming it by label (FeedLabel), and returns how many there were.
func RevokeFeedsTx(ctx context.Context, tx booking.Tx, feeds []*booking.Feed, label, actor string, now time.Time) (int, error) {
	for _, f := range feeds {
		before := *f
		at := now
		f.Revoked = &at
		if err := tx.SaveFeed(ctx, f); err != nil {
			return 0, err
		}
		if err := tx.AddAudit(ctx, &booking.AuditEntry{At: now, Actor: actor, Action: "feed",
			Note: "Calendar feed of " + label + ": address revoked.", Before: feedAuditJSON(&before), After: feedAuditJSON(f)}); err != nil {
			return 0, err
		}
	}
	return len(feeds), nil
}

// PrivacyWords says how a feed of privacy p shows patients: "full names",
// "initials" or "patient numbers".
func PrivacyWords(p Privacy) string {
	switch FeedPrivacy(string(p)) {
	case PrivacyFull:
		return "full names"
	case PrivacyID:
		return "patient numbers"
	}
	return "initials"
}

// FeedLabel names a feed's staff member or room in audit notes and
// messages: "Dr. Ana Reyes (staff 3)".
func FeedLabel(res booking.Resource, name string) string {
	return fmt.Sprintf("%s (%s %d)", name, res.Kind, res.ID)
}

// feedAuditJSON renders a feed for the audit trail; booking.Feed leaves
// the token's hash out of its JSON, like the token.
func feedAuditJSON(f *booking.Feed) string {
	b, err := json.Marshal(f)
	if err != nil {
		return ""
	}
	return string(b)
}

package rulecheck

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
)

// This file checks that no person, patient or room is in two appointments
// at once, holds included.

// resource is a person or a room that can be booked.
type resource struct {
	kind resourceKind
	id   int64
}

// resourceKind says what a resource is.
type resourceKind string

// The kinds of resources: a patient is one too.
const (
	staffResource   resourceKind = "staff"
	roomResource    resourceKind = "room"
	patientResource resourceKind = "patient"
)

// block is an interval during which an appointment takes a resource, in
// Unix seconds, end excluded.
type block struct {
	start, end int64
	a          *appt
}

// checkOverlaps checks every resource's blocks for overlaps.
func (c *checker) checkOverlaps() {
	byResource := c.blocks()
	keys := make([]resource, 0, len(byResource))
	for r := range byResource {
		keys = append(keys, r)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].kind != keys[j].kind {
			return keys[i].kind < keys[j].kind
		}
		return keys[i].id < keys[j].id
	})
	for _, r := range keys {
		c.checkResource(r, byResource[r])
	}
}

// blocks returns the blocks of every appointment that is not cancelled,
// by resource: each staff member from start − staff_before to end +
// staff_after, the room from start − room_before to end + room_after, the
// patient from start to end. Appointments are by start, so each list is
// nearly sorted.
func (c *checker) blocks() map[resource][]block {
	out := map[resource][]block{}
	for _, a := range c.appts {
		if !a.status.occupies() {
			continue
		}
		for i, id := range a.staff {
			if id == 0 || containsID(a.staff[:i], id) {
				continue // nobody, or twice in one appointment (a qualification violation)
			}
			r := resource{staffResource, id}
			out[r] = append(out[r], block{a.start - int64(a.staffBefore)*60, a.end + int64(a.staffAfter)*60, a})
		}
		if a.roomID != 0 {
			r := resource{roomResource, a.roomID}
			out[r] = append(out[r], block{a.start - int64(a.roomBefore)*60, a.end + int64(a.roomAfter)*60, a})
		}
		r := resource{patientResource, a.patient}
		out[r] = append(out[r], block{a.start, a.end, a})
	}
	return out
}

// containsID reports whether ids holds id.
func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// checkResource reports each pair of overlapping blocks of one resource.
func (c *checker) checkResource(r resource, list []block) {
	slices.SortStableFunc(list, func(a, b block) int { return cmp.Compare(a.start, b.start) })
	for i, b := range list {
		c.count(doubleBooking)
		for _, n := range list[i+1:] {
			if n.start >= b.end {
				break
			}
			c.flag(doubleBooking, sharedSeries(b.a, n.a), nil, []int64{b.a.id, n.a.id},
				"%s is in %s, %s, and in %s, %s, at once (holds included)", c.resourceName(r), b.a.name(), b.a.span(), n.a.name(), n.a.span())
		}
	}
}

// sharedSeries returns the series of both appointments, or 0.
func sharedSeries(a, b *appt) int64 {
	if a.series == b.series {
		return a.series
	}
	return 0
}

// resourceName names a resource for a detail: "staff 3 (Dr. Ana Reyes)".
func (c *checker) resourceName(r resource) string {
	switch {
	case r.kind == staffResource && c.staff[r.id] != nil:
		return fmt.Sprintf("staff %d (%s)", r.id, c.staff[r.id].name)
	case r.kind == roomResource && c.rooms[r.id] != nil:
		return fmt.Sprintf("room %d (%s)", r.id, c.rooms[r.id].name)
	}
	return fmt.Sprintf("%s %d", r.kind, r.id)
}

package booking

import (
	"sort"
)

// Availability answers whether a resource is taken. The planner asks it
// for every candidate slot, so it must be fast.
type Availability interface {
	// Busy reports whether resource r is taken at any moment of [start, end)
	// (Unix seconds) and, if so, when the blocking interval ends, so the
	// caller can skip ahead.
	Busy(r Resource, start, end int64) (busy bool, until int64)
}

// Index is the planner's Availability: per resource, the union of its
// blocks as sorted, non-overlapping intervals, searched by bisection. A
// query costs O(log n) whatever the length of the history.
type Index struct {
	spans map[Resource][]span
}

type span struct{ start, end int64 }

// NewIndex indexes the blocks of booked appointments plus each staff
// member's time off and imported busy times.
func NewIndex(blocks []Block, staff []*Staff) *Index {
	per := map[Resource][]span{}
	for _, b := range blocks {
		per[b.Resource] = append(per[b.Resource], span{b.Start, b.End})
	}
	for _, s := range staff {
		r := Resource{StaffResource, s.ID}
		for _, iv := range s.TimeOff {
			per[r] = append(per[r], span{iv.Start.Unix(), iv.End.Unix()})
		}
		for _, iv := range s.Busy {
			per[r] = append(per[r], span{iv.Start.Unix(), iv.End.Unix()})
		}
	}
	for r, ss := range per {
		per[r] = merge(ss)
	}
	return &Index{spans: per}
}

// merge sorts spans and joins those that overlap or touch.
func merge(ss []span) []span {
	sort.Slice(ss, func(i, j int) bool { return ss[i].start < ss[j].start })
	out := ss[:0]
	for _, s := range ss {
		if s.end <= s.start {
			continue
		}
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			if s.end > out[n-1].end {
				out[n-1].end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// Busy implements Availability.
func (x *Index) Busy(r Resource, start, end int64) (bool, int64) {
	ss := x.spans[r]
	// The spans are disjoint and sorted, so their ends are sorted too: find
	// the first that ends after start; it is the only one that can overlap.
	i := sort.Search(len(ss), func(i int) bool { return ss[i].end > start })
	if i < len(ss) && ss[i].start < end {
		return true, ss[i].end
	}
	return false, 0
}

// Scan is a deliberately simple Availability that checks every block on
// every query. It is the reference the Index is benchmarked and tested
// against; never use it for real planning.
type Scan struct {
	blocks []Block
}

// NewScan keeps the blocks and staff unavailability as a flat list.
func NewScan(blocks []Block, staff []*Staff) *Scan {
	all := append([]Block(nil), blocks...)
	for _, s := range staff {
		for _, iv := range append(append([]Interval(nil), s.TimeOff...), s.Busy...) {
			all = append(all, Block{Resource{StaffResource, s.ID}, iv.Start.Unix(), iv.End.Unix(), 0})
		}
	}
	return &Scan{all}
}

// Busy implements Availability by looking at every block.
func (x *Scan) Busy(r Resource, start, end int64) (bool, int64) {
	busy, until := false, int64(0)
	for _, b := range x.blocks {
		if b.Resource == r && b.Start < end && start < b.End {
			busy = true
			if b.End > until {
				until = b.End
			}
		}
	}
	return busy, until
}

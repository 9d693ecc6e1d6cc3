package booking

import (
	"maps"
	"slices"
	"sort"
)

// Alternatives lists up to limit start times for place k of a series,
// other places kept as in req.Keep, that keep every gap rule with its
// neighbours. They are in time order.
func Alternatives(w World, req PlanRequest, k int, limit int) ([]*Appointment, error) {
	// Place k is the one the search fills; its current time, if kept,
	// only says which time to leave out.
	cur := req.Keep[k]
	req.Keep = maps.Clone(req.Keep)
	delete(req.Keep, k)
	p, err := newPlanner(w, req)
	if err != nil {
		return nil, err
	}
	if k < 0 || k >= len(p.insts) {
		return nil, Errorf(EINVALID, "The series has no appointment number %d.", k+1)
	}
	for j := 0; j < k; j++ {
		if a := req.Keep[j]; a != nil && !p.omit[j] {
			p.placed[j] = a
			if p.therap == 0 && p.needsSeries(j) {
				p.therap = seriesTherapist(a)
			}
		}
	}
	// One alternative a day, nearest the current time of day, so the list
	// spans the days the rules allow rather than fifteen-minute steps.
	best := map[Date]*Appointment{}
	dist := func(a *Appointment) int {
		if cur == nil {
			return int(ClockOf(a.Start.In(p.loc)))
		}
		d := int(ClockOf(a.Start.In(p.loc)) - ClockOf(cur.Start.In(p.loc)))
		return max(d, -d)
	}
	it := p.candidates(k, p.window(k))
	for {
		c, err := it.next()
		if err != nil {
			return nil, err
		}
		if c == nil {
			break
		}
		if cur != nil && c.Start.Equal(cur.Start) {
			continue
		}
		day := DateOf(c.Start.In(p.loc))
		if len(best) >= limit && day > it.rankedTo && day > slices.Max(slices.Collect(maps.Keys(best))) {
			break // past the ranked days candidates come in day order: the rest are later than enough
		}
		if b := best[day]; b != nil && dist(b) <= dist(c) {
			continue
		}
		p.placed[k] = c
		ok, err := p.place(k + 1)
		if err != nil {
			return nil, err
		}
		if ok {
			best[day] = c
		}
	}
	var out []*Appointment
	for _, a := range best {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

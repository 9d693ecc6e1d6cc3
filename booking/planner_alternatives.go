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
	// spans the days the rules allow rather than fifteen-minute steps;
	// when the rules allow fewer days than limit, the next nearest times
	// of those days fill the list ("More times…" then finds more). Each
	// day keeps its limit nearest feasible times.
	perDay := map[Date][]*Appointment{}
	dist := func(a *Appointment) int {
		if cur == nil {
			return int(ClockOf(a.Start.In(p.loc)))
		}
		d := int(ClockOf(a.Start.In(p.loc)) - ClockOf(cur.Start.In(p.loc)))
		return max(d, -d)
	}
	// worse orders a day's times: farther from the current time of day,
	// then later.
	worse := func(a, b *Appointment) bool {
		if da, db := dist(a), dist(b); da != db {
			return da > db
		}
		return a.Start.After(b.Start)
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
		if len(perDay) >= limit && day > it.rankedTo && day > slices.Max(slices.Collect(maps.Keys(perDay))) {
			break // past the ranked days candidates come in day order: the rest are later than enough
		}
		kept := perDay[day]
		if len(kept) >= limit && !worse(kept[len(kept)-1], c) {
			continue
		}
		p.placed[k] = c
		ok, err := p.place(k + 1)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		kept = append(kept, c)
		sort.SliceStable(kept, func(i, j int) bool { return worse(kept[j], kept[i]) })
		if len(kept) > limit {
			kept = kept[:limit]
		}
		perDay[day] = kept
	}
	// The nearest time of each day first, then the second nearest of each
	// day, and so on, until there are limit.
	days := slices.Sorted(maps.Keys(perDay))
	var out []*Appointment
	for round := 0; len(out) < limit; round++ {
		added := false
		for _, d := range days {
			if round < len(perDay[d]) {
				out = append(out, perDay[d][round])
				added = true
			}
		}
		if !added {
			break
		}
	}
	if len(out) > limit {
		out = out[:limit] // the earliest days' nearest times come first
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

package rulecheck

import "fmt"

// place is one place of a series' layout: one instance of a step.
type place struct {
	seq    int
	step   *step
	index  int // 0-based within its step
	first  int // seq of its step's first instance
	anchor int // for an after_each step: seq of its anchor instance; -1 otherwise
	label  string
	preds  []pred // constraints to earlier places
}

// pred is a constraint between an earlier place and a later one.
type pred struct {
	from int  // seq of the earlier place
	gap  *gap // the gap from it; nil for a before_next constraint
}

// layout is a protocol's places in the order they happen; a place's seq
// is its index.
type layout struct {
	protocol *protocol
	places   []*place
	bySteps  map[string][]int // step id → seqs of its instances
}

// newLayout lays p out: each step not having after_each, in list order,
// each of its instances; right after instance i of a step, instance i of
// every step whose after_each names it (recursively). Then it adds the
// constraints between places.
func newLayout(p *protocol) *layout {
	l := &layout{protocol: p, bySteps: map[string][]int{}}
	attached := map[string][]*step{}
	for i := range p.Steps {
		if s := &p.Steps[i]; s.AfterEach != "" {
			attached[s.AfterEach] = append(attached[s.AfterEach], s)
		}
	}
	var emit func(s *step, i int)
	emit = func(s *step, i int) {
		if len(l.places) > 1000 { // a cycle of after_each steps; validation forbids it
			return
		}
		seq := len(l.places)
		l.places = append(l.places, &place{seq: seq, step: s, index: i, anchor: -1})
		l.bySteps[s.ID] = append(l.bySteps[s.ID], seq)
		for _, t := range attached[s.ID] {
			emit(t, i)
		}
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		for k := 0; s.AfterEach == "" && k < s.Count; k++ {
			emit(s, k)
		}
	}
	for _, pl := range l.places {
		pl.first = l.bySteps[pl.step.ID][0]
		pl.label = pl.step.label()
		if pl.step.Count > 1 {
			pl.label += fmt.Sprintf(" %d", pl.index+1)
		}
	}
	for i := range p.Steps {
		l.constrain(i)
	}
	return l
}

// constrain adds the constraints of step i's instances: an after_each
// instance follows its anchor (and, with before_next, ends before the
// anchor's next instance); a step's first instance follows the last
// instance of the step it comes after; a later instance follows the one
// before it.
func (l *layout) constrain(i int) {
	s := &l.protocol.Steps[i]
	for k, seq := range l.bySteps[s.ID] {
		pl := l.places[seq]
		switch {
		case s.AfterEach != "":
			anchors := l.bySteps[s.AfterEach]
			if k >= len(anchors) {
				continue
			}
			pl.anchor = anchors[k]
			l.add(seq, anchors[k], s.Gap)
			if s.BeforeNext && k+1 < len(anchors) {
				l.places[anchors[k+1]].preds = append(l.places[anchors[k+1]].preds, pred{from: seq})
			}
		case k == 0 && i > 0:
			ref := l.protocol.Steps[i-1].ID
			if s.After != "" {
				ref = s.After
			}
			if seqs := l.bySteps[ref]; len(seqs) > 0 {
				l.add(seq, seqs[len(seqs)-1], s.Gap)
			}
		case k > 0:
			l.add(seq, l.bySteps[s.ID][k-1], s.RepeatGap)
		}
	}
}

// at returns the place seq, or nil when there is no such place (or no
// layout).
func (l *layout) at(seq int) *place {
	if l == nil || seq < 0 || seq >= len(l.places) {
		return nil
	}
	return l.places[seq]
}

// fits reports whether appointment a is stored as this place: its step,
// kind, number and count.
func (pl *place) fits(a *appt) bool {
	return a.step == pl.step.ID && a.kind == pl.step.Kind && a.index == pl.index+1 && a.count == pl.step.Count
}

// add adds a gap constraint from place from to place seq, if there is a
// gap.
func (l *layout) add(seq, from int, g *gap) {
	if g != nil {
		l.places[seq].preds = append(l.places[seq].preds, pred{from: from, gap: g})
	}
}

// adHoc returns the protocol of an ad-hoc booking of step id: that step
// alone, once, following nothing. It returns nil when p has no such step.
func adHoc(p *protocol, id string) *protocol {
	for _, s := range p.Steps {
		if s.ID != id {
			continue
		}
		s.Count, s.After, s.Gap, s.RepeatGap, s.AfterEach, s.BeforeNext, s.WithinDays, s.PerWeek = 1, "", nil, nil, "", false, 0, 0
		q := *p
		q.Steps = []step{s}
		return &q
	}
	return nil
}

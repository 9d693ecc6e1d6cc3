package booking

import (
	"fmt"
	"strings"
)

// A protocol is laid out as an ordered list of places, each with its rules
// to earlier places: gaps, "after each" anchors, "before the next"
// (docs/protocols.md, "Places" and "Rules between places").

// instance is one appointment to place, with its constraints to earlier ones.
type instance struct {
	step  *Step
	index int // 0-based within its step
	seq   int
	preds []pred
	first int // seq of the first instance of its step
}

// pred is a gap rule of an instance to the earlier instance seq, counted
// as docs/protocols.md ("Rules between places") says.
type pred struct {
	seq int
	gap Gap
	why string // "after Preparation 2"
}

// Instances lays the protocol out as the ordered list of appointments it
// books: each step's instances in order, an after_each step's instance
// right after its anchor, optional steps included. It is the order the
// appointments happen in, and an appointment's Seq is its index here.
func Instances(p *Protocol) []*Appointment {
	out := []*Appointment{}
	for _, in := range layout(p) {
		out = append(out, &Appointment{Step: in.step.ID, Kind: in.step.Kind, Index: in.index + 1, Count: in.step.Count, Seq: in.seq})
	}
	return out
}

// layout expands the protocol into its places, in order, with their rules.
func layout(p *Protocol) []*instance {
	attached := map[string][]*Step{}
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.AfterEach != "" {
			attached[s.AfterEach] = append(attached[s.AfterEach], s)
		}
	}
	var order []*instance
	pos := map[string][]int{} // step id → seqs of its instances
	var emit func(s *Step, i int)
	emit = func(s *Step, i int) {
		in := &instance{step: s, index: i, seq: len(order)}
		order = append(order, in)
		pos[s.ID] = append(pos[s.ID], in.seq)
		for _, t := range attached[s.ID] {
			emit(t, i)
		}
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.AfterEach != "" {
			continue
		}
		for k := 0; k < s.Count; k++ {
			emit(s, k)
		}
	}
	// Constraints, now that every instance has its place.
	label := func(seq int) string {
		in := order[seq]
		if in.step.Count > 1 {
			return fmt.Sprintf("%s %d", strings.ToLower(in.step.Label()), in.index+1)
		}
		return strings.ToLower(in.step.Label())
	}
	var prevListed *Step
	for i := range p.Steps {
		s := &p.Steps[i]
		seqs := pos[s.ID]
		for k, seq := range seqs {
			in := order[seq]
			in.first = seqs[0]
			switch {
			case s.AfterEach != "":
				a := pos[s.AfterEach][k]
				in.preds = append(in.preds, pred{a, *s.Gap, "after " + label(a)})
				if s.BeforeNext && k+1 < len(pos[s.AfterEach]) {
					next := order[pos[s.AfterEach][k+1]]
					next.preds = append(next.preds, pred{seq, Gap{0, 1 << 30, "minutes"}, "after " + label(seq)})
				}
			case k == 0 && prevListed != nil:
				ref := prevListed.ID
				if s.After != "" {
					ref = s.After
				}
				if ps := pos[ref]; len(ps) > 0 {
					last := ps[len(ps)-1]
					in.preds = append(in.preds, pred{last, *s.Gap, "after " + label(last)})
				}
			case k > 0:
				in.preds = append(in.preds, pred{seqs[k-1], *s.RepeatGap, "after " + label(seqs[k-1])})
			}
		}
		prevListed = s
	}
	return order
}

// omitsStep reports whether every place of a step is omitted or kept, so
// its rules need no new check.
func (r *PlanRequest) omitsStep(id string) bool {
	if len(r.Omit)+len(r.Keep) == 0 {
		return false
	}
	for _, in := range layout(r.Protocol) {
		if in.step.ID == id && !r.Omit[in.seq] && r.Keep[in.seq] == nil {
			return false
		}
	}
	return true
}

package reminder

import (
	"fmt"
	"text/template/parse"
)

// MaxLoopItems is the most times, all loops nested within each other
// multiplied, that a template may repeat its body. A message lists at
// most a series' appointments and a visit's instructions; a loop over
// millions stalls the dispatcher even though rendering is stopped after
// MaxRenderTime, for Go's templates cannot stop a loop that writes
// nothing (docs/security.md, "Clinic templates").
const MaxLoopItems = 100_000

// maxLoopItems is MaxLoopItems; a test raises it.
var maxLoopItems int64 = MaxLoopItems

// dataLoop is what a loop over the message's data (.Appointments,
// .Instructions) counts as: more than a series ever holds.
const dataLoop = 100

// loopCheck measures the loops of one part's templates: the largest
// product of nested loop counts on any path, through {{template}} calls.
type loopCheck struct {
	trees map[string]*parse.Tree
	cost  map[string]int64
	busy  map[string]bool // templates being measured, to find recursion
}

// checkLoops refuses a part whose loops could repeat more than
// MaxLoopItems times, or whose templates call themselves (through
// others or not), which can repeat without end.
func checkLoops(kind Kind, part string, trees map[string]*parse.Tree) error {
	c := &loopCheck{trees: trees, cost: map[string]int64{}, busy: map[string]bool{}}
	for name := range trees {
		n, err := c.template(name)
		if err != nil {
			return &TemplateError{Kind: kind, Part: part, Problem: err.Error()}
		}
		if n > maxLoopItems {
			return &TemplateError{Kind: kind, Part: part, Problem: fmt.Sprintf(
				"its loops ({{range}}) could repeat more than %d times; a message lists a few appointments, so loop over .Appointments or .Instructions, or over at most a few hundred", maxLoopItems)}
		}
	}
	return nil
}

func (c *loopCheck) template(name string) (int64, error) {
	if n, ok := c.cost[name]; ok {
		return n, nil
	}
	if c.busy[name] {
		return 0, fmt.Errorf("the block %q calls itself; blocks may call others but not themselves", name)
	}
	t := c.trees[name]
	if t == nil || t.Root == nil {
		return 1, nil
	}
	c.busy[name] = true
	n, err := c.node(t.Root)
	delete(c.busy, name)
	if err != nil {
		return 0, err
	}
	c.cost[name] = n
	return n, nil
}

// node returns how many times, at most, the deepest path through n
// repeats, capped just above MaxLoopItems so that it cannot overflow.
func (c *loopCheck) node(n parse.Node) (int64, error) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return 1, nil
		}
		most := int64(1)
		for _, x := range n.Nodes {
			v, err := c.node(x)
			if err != nil {
				return 0, err
			}
			most = max(most, v)
		}
		return most, nil
	case *parse.IfNode:
		return c.branches(n.List, n.ElseList)
	case *parse.WithNode:
		return c.branches(n.List, n.ElseList)
	case *parse.RangeNode:
		body, err := c.branches(n.List, n.ElseList)
		if err != nil {
			return 0, err
		}
		return capped(loopCount(n.Pipe) * body), nil
	case *parse.TemplateNode:
		return c.template(n.Name)
	}
	return 1, nil
}

func (c *loopCheck) branches(list, elseList *parse.ListNode) (int64, error) {
	a, err := c.node(list)
	if err != nil {
		return 0, err
	}
	b, err := c.node(elseList)
	if err != nil {
		return 0, err
	}
	return max(a, b), nil
}

// loopCount is how many times a {{range}} over pipe repeats at most: the
// number when it ranges over a number, dataLoop otherwise.
func loopCount(pipe *parse.PipeNode) int64 {
	if pipe != nil && len(pipe.Cmds) == 1 && len(pipe.Cmds[0].Args) == 1 {
		if num, ok := pipe.Cmds[0].Args[0].(*parse.NumberNode); ok {
			switch {
			case num.IsInt && num.Int64 <= 0:
				return 1
			case num.IsInt:
				return capped(num.Int64)
			default:
				return maxLoopItems + 1
			}
		}
	}
	return dataLoop
}

// capped keeps n at most maxLoopItems+1.
func capped(n int64) int64 { return min(n, maxLoopItems+1) }

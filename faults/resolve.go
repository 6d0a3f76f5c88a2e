package faults

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"logsim/broker/node"
)

// Cut is one network cut of a partition: nodes in A cannot reach nodes in B, and, unless
// OneWay, B cannot reach A. The runner applies each cut (sim's Partition or
// PartitionOneWay) at Start and heals it at Stop.
type Cut struct {
	A, B   []node.ID
	OneWay bool
}

// Link is one directed link between two nodes.
type Link struct {
	From, To node.ID
}

// Targets resolves the fault's target selectors now (crash, pause, clock-skew, disk and
// client faults).
func (s *Spec) Targets(c Cluster, r *rand.Rand) ([]node.ID, error) {
	return s.Target.Resolve(c, r)
}

// servers lists the brokers and the controller, sorted.
func servers(c Cluster) []node.ID {
	out := append(slices.Clone(c.Brokers()), c.Controller())
	slices.Sort(out)
	return slices.Compact(out)
}

// minus returns the members of a not in b, in a's order.
func minus(a, b []node.ID) []node.ID {
	var out []node.ID
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

// Cuts resolves a partition into its cuts, drawing topologies from r. An empty result
// means the selectors matched nothing right now (a partition with no leader).
func (s *Spec) Cuts(c Cluster, r *rand.Rand) ([]Cut, error) {
	if s.Kind != Partition {
		return nil, fmt.Errorf("%s: Cuts of a %s fault", s.Name, s.Kind)
	}
	clients := c.AllClients()
	side := func(a, b []node.ID) []Cut {
		a, b = minus(a, b), minus(b, a)
		switch s.Clients {
		case ClientsIsolated:
			a = append(a, minus(clients, a)...)
		case ClientsRest:
			b = append(b, minus(clients, append(a, b...))...)
		}
		if len(a) == 0 || len(b) == 0 {
			return nil
		}
		return []Cut{{A: a, B: b}}
	}
	switch {
	case len(s.Isolate) > 0:
		iso, err := s.Isolate.Resolve(c, r)
		if err != nil || len(iso) == 0 {
			return nil, err
		}
		return side(iso, minus(servers(c), iso)), nil
	case len(s.From) > 0:
		from, err := s.From.Resolve(c, r)
		if err != nil {
			return nil, err
		}
		to, err := s.To.Resolve(c, r)
		if err != nil {
			return nil, err
		}
		if len(s.To) == 0 {
			to = minus(append(servers(c), clients...), from)
		}
		for _, id := range to {
			if slices.Contains(from, id) {
				return nil, fmt.Errorf("node %d is on both sides of the cut (from: %s; to: %s)", id, s.From, s.To)
			}
		}
		if len(from) == 0 || len(to) == 0 {
			return nil, nil
		}
		return []Cut{{A: from, B: to, OneWay: s.OneWay}}, nil
	}
	nodes := servers(c)
	r.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	n := len(nodes)
	switch s.Topology {
	case Halves:
		big := (n + 1) / 2
		// The larger half is the majority; "isolated" clients join the minority.
		cuts := side(nodes[big:], nodes[:big])
		return cuts, nil
	case Bridge:
		if n < 3 {
			return nil, nil
		}
		half := (n - 1) / 2
		// nodes[half] is the bridge, connected to both sides.
		return side(nodes[:half], nodes[half+1:]), nil
	case MajoritiesRing:
		// Ring order is the shuffled order; a node keeps the nodes within ring distance
		// d, so each sees 2d+1 >= a majority and no two see the same set.
		maj := n/2 + 1
		d := maj / 2
		var cuts []Cut
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				dist := min(j-i, n-(j-i))
				if dist > d {
					cuts = append(cuts, Cut{A: []node.ID{nodes[i]}, B: []node.ID{nodes[j]}})
				}
			}
		}
		return cuts, nil
	}
	return nil, fmt.Errorf("%s: partition without isolate, topology or from", s.Name)
}

// Links resolves the directed links a clog or added latency affects, or the connections
// a reset breaks (one Link per connection, From < To): every link between a target and
// any other node, or from each of From to each of To (and back, unless OneWay).
func (s *Spec) Links(c Cluster, r *rand.Rand) ([]Link, error) {
	all := append(servers(c), c.AllClients()...)
	var a, b []node.ID
	var err error
	if len(s.Target) > 0 {
		if a, err = s.Target.Resolve(c, r); err != nil {
			return nil, err
		}
		b = minus(all, a)
	} else {
		if a, err = s.From.Resolve(c, r); err != nil {
			return nil, err
		}
		if len(s.To) == 0 {
			b = minus(all, a)
		} else if b, err = s.To.Resolve(c, r); err != nil {
			return nil, err
		}
	}
	var out []Link
	add := func(l Link) {
		if l.From != l.To && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	for _, x := range a {
		for _, y := range b {
			if s.Kind == Reset {
				add(Link{From: min(x, y), To: max(x, y)})
				continue
			}
			add(Link{From: x, To: y})
			if !s.OneWay {
				add(Link{From: y, To: x})
			}
		}
	}
	return out, nil
}

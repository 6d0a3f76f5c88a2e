package faults

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Op says whether an Action starts or stops a fault.
type Op uint8

// The operations.
const (
	// Start begins a fault (or performs a one-off fault such as reset).
	Start Op = iota + 1
	// Stop ends the fault begun by the Start with the same Fault and Round.
	Stop
)

// String names the operation as history fault events do.
func (o Op) String() string {
	if o == Stop {
		return "stop"
	}
	return "start"
}

// Action is one step of the fault timeline. The runner applies it with a switch on
// Spec.Kind, resolving selectors at that moment, and undoes a Start at the matching
// Stop (same Fault and Round).
type Action struct {
	// At is when the action happens, from the start of the run.
	At time.Duration
	// Op is Start or Stop.
	Op Op
	// Fault is the index of the fault in the scenario's list.
	Fault int
	// Round numbers the occurrences of a repeated fault (0 for the first).
	Round int
	// Name labels the occurrence in the history: the fault's label, with #ROUND for a
	// repeated fault and :KIND for a nemesis draw.
	Name string
	// Spec is the concrete fault; for a nemesis, the fault it drew. Shared by Start and
	// Stop; read only.
	Spec *Spec
}

// Timeline expands validated fault specs into their start and stop actions over a load
// phase of length load, sorted by time (at the same instant stops come first, then by
// fault and round). A fault still running when the load phase ends stops at load (the
// heal phase begins). Nemesis draws come from r, so the timeline is a pure function of
// the specs, load and r's seed.
func Timeline(specs []Spec, load time.Duration, r *rand.Rand) []Action {
	var out []Action
	for i := range specs {
		s := &specs[i]
		for round := 0; ; round++ {
			if s.Every == 0 && round > 0 || s.Times > 0 && round >= s.Times {
				break
			}
			at := s.At + time.Duration(round)*s.Every
			if at >= load {
				break
			}
			fault, name := s, s.Label(i)
			if s.Every > 0 {
				name = fmt.Sprintf("%s#%d", name, round)
			}
			if s.Kind == Nemesis {
				fault = s.draw(r)
				name += ":" + string(fault.Kind)
			}
			out = append(out, Action{At: at, Op: Start, Fault: i, Round: round, Name: name, Spec: fault})
			if fault.Kind.Instant() {
				continue
			}
			stop := load
			if fault.For > 0 {
				stop = min(at+fault.For, load)
			}
			out = append(out, Action{At: stop, Op: Stop, Fault: i, Round: round, Name: name, Spec: fault})
		}
	}
	slices.SortStableFunc(out, func(a, b Action) int {
		return cmp.Or(cmp.Compare(a.At, b.At), -cmp.Compare(a.Op, b.Op), cmp.Compare(a.Fault, b.Fault), cmp.Compare(a.Round, b.Round))
	})
	return out
}

// draw picks one fault of a nemesis's mix, with its parameters, from r.
func (s *Spec) draw(r *rand.Rand) *Spec {
	kind := s.Mix[r.IntN(len(s.Mix))]
	targets := s.Target
	if len(targets) == 0 {
		targets = Selectors{{Kind: SelRandom, Count: 1}}
	}
	f := &Spec{Name: s.Name, Kind: kind, For: s.For}
	// between draws a duration uniformly in [lo, hi].
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(r.Int64N(int64(hi-lo)+1)) }
	switch kind {
	case Partition:
		switch r.IntN(4) {
		case 0:
			f.Isolate = targets
		case 1:
			f.Topology = Halves
		case 2:
			f.Topology = MajoritiesRing
		default:
			f.Topology = Bridge
		}
	case Latency, DiskSlow:
		f.Target, f.Latency = targets, s.Latency
		if f.Latency == 0 {
			f.Latency = between(5*time.Millisecond, 500*time.Millisecond)
		}
	case ClockSkew:
		f.Target = targets
		f.Jump = between(100*time.Millisecond, 10*time.Second)
		if r.IntN(2) == 0 {
			f.Jump = -f.Jump
		}
	case Crash:
		f.Target, f.PowerLoss = targets, s.PowerLoss
	case Reset:
		f.Target, f.For = targets, 0
	default:
		f.Target = targets
	}
	return f
}

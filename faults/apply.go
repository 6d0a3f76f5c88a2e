package faults

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"

	"logsim/broker/node"
	"logsim/sim"
)

// Hooks is what applying faults needs from the runner beyond the simulator: recording,
// and the client applications' knobs.
type Hooks interface {
	// FaultEvent records a fault's start or stop in the history ("start" or "stop").
	FaultEvent(name, action, detail string)
	// FaultWindow records that a fault was active over [start, stop) (simulator time).
	FaultWindow(name, target string, start, stop time.Duration)
	// SlowConsumer adds extra processing time per record to consumer id (0 ends it).
	SlowConsumer(id node.ID, extra time.Duration)
	// StallConsumer stops consumer id's application loop until the time until
	// (simulator time; 0 ends a stall now).
	StallConsumer(id node.ID, until time.Duration)
}

// Supported reports whether the runner can apply a fault spec, with a message naming
// what is not supported yet. Validation calls it so that a scenario never starts with
// a fault it cannot inject.
func Supported(s *Spec) error {
	if s.Kind == DiskError && s.Files != "" {
		return fmt.Errorf("disk-error with files is not supported yet: the simulator fails operations on the whole disk; remove files")
	}
	if s.Kind == Nemesis {
		for _, k := range s.Mix {
			if k == DiskError && s.Files != "" {
				return fmt.Errorf("nemesis disk-error with files is not supported yet")
			}
		}
	}
	return nil
}

// Applier applies a fault timeline to a simulation: each Action at its time (an At
// callback), selectors resolved at that moment, every start and stop recorded.
type Applier struct {
	sim    *sim.Sim
	c      Cluster
	hooks  Hooks
	r      *rand.Rand
	active map[[2]int]*applied
	order  [][2]int
	stops  map[[2]int]time.Duration
}

// applied is what a started fault did, so that its stop undoes exactly that.
type applied struct {
	action  Action
	start   time.Duration
	parts   []sim.PartitionID
	links   []Link
	targets []node.ID
	down    []node.ID // crashed or stopped by this fault
	label   string
}

// NewApplier returns an Applier over s and the cluster view c; random choices (random
// selectors, topologies) draw from r.
func NewApplier(s *sim.Sim, c Cluster, hooks Hooks, r *rand.Rand) *Applier {
	return &Applier{sim: s, c: c, hooks: hooks, r: r, active: map[[2]int]*applied{}, stops: map[[2]int]time.Duration{}}
}

// Schedule arranges for every action to run at base + its time.
func (a *Applier) Schedule(actions []Action, base time.Duration) {
	for i := range actions {
		act := actions[i]
		if act.Op == Stop {
			a.stops[[2]int{act.Fault, act.Round}] = base + act.At
		}
		a.sim.At(base+act.At, func() { a.Apply(act) })
	}
}

// Apply performs one action now.
func (a *Applier) Apply(act Action) {
	key := [2]int{act.Fault, act.Round}
	if act.Op == Stop {
		if ap, ok := a.active[key]; ok {
			a.stop(ap)
			delete(a.active, key)
			a.order = slices.DeleteFunc(a.order, func(k [2]int) bool { return k == key })
		}
		return
	}
	ap, err := a.start(act)
	if err != nil {
		// A selector that names nothing real is caught by validation; what is left is
		// a fault that cannot act now (a node already down): record it and go on.
		a.hooks.FaultEvent(act.Name, "start", "not applied: "+err.Error())
		if act.Spec.Kind.Instant() {
			return
		}
		ap = &applied{action: act, start: a.sim.Now(), label: "not applied"}
	}
	if act.Spec.Kind.Instant() {
		a.hooks.FaultWindow(act.Name, ap.label, ap.start, ap.start)
		return
	}
	a.active[key] = ap
	a.order = append(a.order, key)
}

// StopAll ends every active fault now (the heal phase begins).
func (a *Applier) StopAll() {
	for _, key := range slices.Clone(a.order) {
		a.stop(a.active[key])
		delete(a.active, key)
	}
	a.order = nil
}

func (a *Applier) names(ids []node.ID) string {
	var out []string
	for _, id := range ids {
		out = append(out, a.sim.Name(id))
	}
	return strings.Join(out, ",")
}

func (a *Applier) start(act Action) (*applied, error) {
	s := act.Spec
	ap := &applied{action: act, start: a.sim.Now()}
	var detail string
	switch s.Kind {
	case Partition:
		cuts, err := s.Cuts(a.c, a.r)
		if err != nil {
			return nil, err
		}
		if len(cuts) == 0 {
			return nil, fmt.Errorf("the selectors match no node now")
		}
		var parts []string
		for _, cut := range cuts {
			var id sim.PartitionID
			if cut.OneWay {
				id, err = a.sim.PartitionOneWay(cut.A, cut.B)
			} else {
				id, err = a.sim.Partition(cut.A, cut.B)
			}
			if err != nil {
				return nil, err
			}
			ap.parts = append(ap.parts, id)
			sep := " | "
			if cut.OneWay {
				sep = " -> "
			}
			parts = append(parts, a.names(cut.A)+sep+a.names(cut.B))
		}
		detail = strings.Join(parts, "; ")
	case Clog, Latency, Reset:
		links, err := s.Links(a.c, a.r)
		if err != nil {
			return nil, err
		}
		if len(links) == 0 {
			return nil, fmt.Errorf("the selectors match no link now")
		}
		for _, l := range links {
			switch s.Kind {
			case Clog:
				err = a.sim.Clog(l.From, l.To)
			case Latency:
				err = a.sim.AddLatency(l.From, l.To, s.Latency)
			case Reset:
				err = a.sim.ResetConnection(l.From, l.To)
			}
			if err != nil {
				return nil, err
			}
		}
		ap.links = links
		detail = fmt.Sprintf("%d links of %s", len(links), a.linkNodes(links))
		if s.Kind == Latency {
			detail += fmt.Sprintf(" +%v", s.Latency)
		}
	default:
		targets, err := s.Targets(a.c, a.r)
		if err != nil {
			return nil, err
		}
		if len(targets) == 0 {
			return nil, fmt.Errorf("the target %s matches no node now", s.Target)
		}
		ap.targets = targets
		for _, id := range targets {
			if err := a.startOn(ap, id); err != nil {
				return nil, err
			}
		}
		detail = a.names(targets)
		switch s.Kind {
		case Crash:
			if s.PowerLoss {
				detail += " (power loss)"
			}
		case ClockSkew:
			detail += fmt.Sprintf(" jump=%v drift=%v", s.Jump, s.Drift)
		case DiskSlow:
			detail += fmt.Sprintf(" +%v per operation", s.Latency)
		case DiskError:
			detail += fmt.Sprintf(" p=%v", s.Probability)
		case SlowConsumer:
			detail += fmt.Sprintf(" +%v per record", s.Processing)
		}
	}
	ap.label = detail
	a.hooks.FaultEvent(act.Name, "start", string(s.Kind)+": "+detail)
	return ap, nil
}

func (a *Applier) linkNodes(links []Link) string {
	var ids []node.ID
	for _, l := range links {
		ids = append(ids, l.From, l.To)
	}
	slices.Sort(ids)
	return a.names(slices.Compact(ids))
}

// startOn applies a per-node fault to one target.
func (a *Applier) startOn(ap *applied, id node.ID) error {
	s := ap.action.Spec
	up, paused := a.sim.State(id)
	switch s.Kind {
	case Crash, StopClient:
		if !up {
			return nil // already down: nothing to crash, nothing to restart later
		}
		var err error
		if s.PowerLoss {
			err = a.sim.PowerLoss(id)
		} else {
			err = a.sim.Crash(id)
		}
		if err != nil {
			return err
		}
		ap.down = append(ap.down, id)
	case Pause:
		if !up || paused {
			return nil
		}
		if err := a.sim.Pause(id); err != nil {
			return err
		}
		ap.down = append(ap.down, id)
	case ClockSkew:
		return a.sim.SkewClock(id, s.Jump, s.Drift)
	case DiskSlow:
		return a.sim.SetDiskSlow(id, s.Latency)
	case DiskFull:
		return a.sim.SetDiskFull(id, true)
	case DiskError:
		return a.sim.SetDiskErrorRate(id, s.Probability)
	case DiskCorrupt:
		return a.corrupt(id, s)
	case SlowConsumer:
		a.hooks.SlowConsumer(id, s.Processing)
	case StallConsumer:
		until, ok := a.stops[[2]int{ap.action.Fault, ap.action.Round}]
		if !ok {
			until = math.MaxInt64
		}
		a.hooks.StallConsumer(id, until)
	default:
		return fmt.Errorf("fault kind %s cannot be applied to a node", s.Kind)
	}
	return nil
}

// corrupt damages the last entries of the node's files that match the glob.
func (a *Applier) corrupt(id node.ID, s *Spec) error {
	env := a.sim.Env(id)
	if env == nil {
		return fmt.Errorf("%s has no disk to corrupt", a.sim.Name(id))
	}
	n := s.Entries
	if n <= 0 {
		n = 1
	}
	disk := env.Disk()
	for _, f := range disk.Files() {
		if s.Files != "" {
			if ok, _ := path.Match(s.Files, f); !ok {
				continue
			}
		}
		l := disk.Len(f)
		if l == 0 {
			continue
		}
		if err := a.sim.CorruptEntries(id, f, max(l-n, 0), l); err != nil {
			return err
		}
	}
	return nil
}

func (a *Applier) stop(ap *applied) {
	s := ap.action.Spec
	for _, id := range ap.parts {
		_ = a.sim.Heal(id) // healed already by a heal of the whole network
	}
	for _, l := range ap.links {
		switch s.Kind {
		case Clog:
			_ = a.sim.Unclog(l.From, l.To)
		case Latency:
			_ = a.sim.AddLatency(l.From, l.To, 0)
		}
	}
	for _, id := range ap.targets {
		switch s.Kind {
		case ClockSkew:
			if env := a.sim.Env(id); env != nil {
				_ = a.sim.SkewClock(id, a.sim.Now()-env.Now(), 0)
			}
		case DiskSlow:
			_ = a.sim.SetDiskSlow(id, 0)
		case DiskFull:
			_ = a.sim.SetDiskFull(id, false)
		case DiskError:
			_ = a.sim.SetDiskErrorRate(id, 0)
		case SlowConsumer:
			a.hooks.SlowConsumer(id, 0)
		case StallConsumer:
			a.hooks.StallConsumer(id, 0)
		}
	}
	for _, id := range ap.down {
		up, paused := a.sim.State(id)
		switch {
		case s.Kind == Pause && paused:
			_ = a.sim.Resume(id)
		case (s.Kind == Crash || s.Kind == StopClient) && !up:
			_ = a.sim.Restart(id)
		}
	}
	a.hooks.FaultEvent(ap.action.Name, "stop", string(s.Kind)+": "+ap.label)
	a.hooks.FaultWindow(ap.action.Name, ap.label, ap.start, a.sim.Now())
}

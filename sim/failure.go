package sim

import (
	"fmt"
	"runtime/debug"
	"time"

	"logsim/broker/node"
)

// Failure is a run that ended because a Machine or a kernel callback panicked (a
// broken invariant). It carries what is needed to reproduce and debug it: the seed,
// the virtual time, the node and the event it was handling, the panic value and the
// stack.
type Failure struct {
	Seed     uint64
	Time     time.Duration
	Node     node.ID // node.None when no Machine was running
	NodeName string
	Event    string // the event being handled, as a trace summary
	Value    any    // the value passed to panic
	Stack    string // the goroutine's stack at the panic
	Events   uint64 // events dispatched before the failure
}

// Error implements error in one line.
func (f *Failure) Error() string {
	where := "the kernel"
	if f.Node != node.None {
		where = "node " + f.NodeName
	}
	return fmt.Sprintf("sim: %s panicked at %s handling %s (seed %d, after %d events): %v",
		where, FormatTime(f.Time), f.Event, f.Seed, f.Events, f.Value)
}

// Repro is the one-line command that reproduces the failure of a scenario file.
func (f *Failure) Repro(scenario string) string {
	return fmt.Sprintf("logsim run %s --seed %d", scenario, f.Seed)
}

// assertf builds the panic value of a broken kernel invariant.
func (s *Sim) assertf(format string, args ...any) string {
	return fmt.Sprintf("sim: "+format, args...)
}

// newFailure describes the panic r raised in the current context.
func (s *Sim) newFailure(r any) *Failure {
	f := &Failure{Seed: s.cfg.Seed, Time: s.now, Node: node.None, Value: r, Stack: string(debug.Stack()), Events: s.events}
	switch {
	case s.cur != nil:
		f.Node, f.NodeName = s.cur.id, s.cur.name
		f.Event = s.describe(&s.curEv)
	case s.curWhat != "":
		f.Event = s.curWhat
	default:
		f.Event = "a kernel operation"
	}
	s.traceLine(f.NodeName, "FAILURE", fmt.Sprint(r))
	return f
}

// describe summarizes an event for failures.
func (s *Sim) describe(ev *node.Event) string {
	switch ev.Kind {
	case node.Recv:
		return fmt.Sprintf("recv %s from %s", ev.Msg.Kind(), s.Name(ev.From))
	case node.TimerFired:
		return fmt.Sprintf("timer kind=%d arg=%d", ev.Timer.Kind, ev.Timer.Arg)
	case node.DiskDone:
		return fmt.Sprintf("disk op=%d err=%v", ev.Op, ev.Err)
	case node.Disconnected:
		return "disconnect from " + s.Name(ev.From)
	}
	return s.curWhat
}

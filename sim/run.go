package sim

import (
	"fmt"
	"time"

	"logsim/broker/node"
)

// Run dispatches every event scheduled up to and including time until, then sets the
// clock to until (if it is later than now). It returns a *Failure if a Machine or a
// callback panicked; after a failure every Run method returns the same failure.
func (s *Sim) Run(until time.Duration) error {
	err := s.guard(func() {
		for s.step(until) {
		}
	})
	if err == nil && until > s.now {
		s.now = until
	}
	return err
}

// RunFor runs for d of virtual time from now (see Run).
func (s *Sim) RunFor(d time.Duration) error { return s.Run(s.now + d) }

// Step runs the next scheduled entry, whatever its time, and reports whether there was
// one. An entry may dispatch nothing to a Machine (a message for a crashed node, an
// event held for a paused or busy node, a kernel callback).
func (s *Sim) Step() (bool, error) {
	ran := false
	err := s.guard(func() { ran = s.step(forever) })
	return ran, err
}

// RunEvents runs until n more events have been dispatched to Machines or the queue is
// empty, and returns how many were dispatched.
func (s *Sim) RunEvents(n int) (int, error) {
	start := s.events
	err := s.guard(func() {
		for s.events-start < uint64(n) && s.step(forever) {
		}
	})
	return int(s.events - start), err
}

// RunUntilQuiescent runs until nothing is scheduled (every timer fired or cancelled,
// every message delivered) or the clock would pass deadline, and reports whether the
// simulation went quiet. Nodes with periodic timers never go quiet: use a deadline.
func (s *Sim) RunUntilQuiescent(deadline time.Duration) (bool, error) {
	err := s.Run(deadline)
	return s.live == 0, err
}

// RunUntil runs until done returns true (checked before each queue entry) or the
// clock would pass deadline, and reports whether done became true.
func (s *Sim) RunUntil(deadline time.Duration, done func() bool) (bool, error) {
	ok := false
	err := s.guard(func() {
		for {
			if done() {
				ok = true
				return
			}
			if !s.step(deadline) {
				return
			}
		}
	})
	if err == nil && !ok && deadline > s.now {
		s.now = deadline
	}
	return ok, err
}

// forever is a time limit beyond any event.
const forever = time.Duration(1<<63 - 1)

// step runs the next live queue entry due at or before limit, and reports whether
// there was one. Cancelled entries on the way are dropped; the clock follows them,
// since the queue never goes back in time.
func (s *Sim) step(limit time.Duration) bool {
	for s.q.len() > 0 && (limit == forever || s.q.peekAt() <= limit) {
		it := s.q.pop()
		s.now = it.at
		idx := it.slot()
		sl := &s.slots[idx]
		if sl.seq != it.seq() {
			continue // cancelled
		}
		s.run(idx, sl)
		return true
	}
	return false
}

// run executes slot idx whose time has come.
func (s *Sim) run(idx uint32, sl *slot) {
	switch sl.kind {
	case evTimer, evRecv, evDisconnect, evExec:
		s.arrive(idx, sl)
	case evDiskDone:
		s.diskComplete(sl)
		s.arrive(idx, sl)
	case evSend:
		n := s.nodes[sl.node]
		s.linkTo(n, sl.peer).queued--
		if n.down == upState && n.inc == sl.inc {
			s.transmit(n, sl.peer, sl.msg)
		}
		s.release(idx)
	case evCallback:
		fn := sl.fn
		s.release(idx)
		s.curWhat = "callback"
		fn()
		s.curWhat = ""
	case evWake:
		n := s.nodes[sl.node]
		inc := sl.inc
		s.release(idx)
		if n.inc == inc {
			n.wakePending = false
			s.drain(n)
		}
	case evStall:
		s.stallExpired(sl)
		s.release(idx)
	case evWriteback:
		d, gen := s.nodes[sl.node].disk, sl.epoch
		s.release(idx)
		if d.gen == gen {
			d.writeback()
		}
	default:
		panic(s.assertf("queue entry of unknown kind %d", sl.kind))
	}
}

// arrive routes a Machine event: dropped if it belongs to an earlier incarnation of a
// node that has crashed since, held in the backlog while the node is paused or all its
// cores are busy, dispatched otherwise.
func (s *Sim) arrive(idx uint32, sl *slot) {
	n := s.nodes[sl.node]
	if n.down != upState || !n.started || (sl.kind != evRecv && sl.inc != n.inc) || !s.connAlive(sl) {
		s.release(idx)
		return
	}
	if n.paused {
		n.hold(idx)
		return
	}
	if n.backlogLen() > 0 {
		n.hold(idx)
		s.wakeAt(n, max(s.now, n.nextFree()))
		return
	}
	if core := n.freeCore(s.now); core >= 0 {
		s.dispatch(n, core, idx)
		return
	}
	n.hold(idx)
	s.wakeAt(n, n.nextFree())
}

// connAlive reports whether a message is still on a live connection: a reset since it
// was sent (crash, partition, connection reset) drops it.
func (s *Sim) connAlive(sl *slot) bool {
	if sl.kind != evRecv {
		return true
	}
	c := s.nodes[sl.peer].out[s.nodes[sl.node].idx].conn
	return c.epoch == sl.epoch
}

// drain dispatches backlogged events of n while it is running and has a free core.
func (s *Sim) drain(n *nodeState) {
	for n.backlogLen() > 0 && !n.paused && n.down == upState {
		core := n.freeCore(s.now)
		if core < 0 {
			s.wakeAt(n, n.nextFree())
			return
		}
		idx, ok := n.unhold()
		if !ok {
			return
		}
		sl := &s.slots[idx]
		if sl.kind == evRecv && !s.connAlive(sl) {
			s.release(idx)
			continue
		}
		s.dispatch(n, core, idx)
	}
}

// wakeAt schedules one wake-up of n at t, unless one is pending.
func (s *Sim) wakeAt(n *nodeState, t time.Duration) {
	if n.wakePending {
		return
	}
	n.wakePending = true
	sl, idx := s.alloc(evWake, n.id)
	sl.inc = n.inc
	s.enqueue(t, idx)
}

// dispatch hands slot idx to n's Machine on core, then frees the slot.
func (s *Sim) dispatch(n *nodeState, core int, idx uint32) {
	sl := &s.slots[idx]
	var ev node.Event
	var fn func()
	switch sl.kind {
	case evTimer:
		ev = node.Event{Kind: node.TimerFired, Timer: sl.timer}
	case evRecv:
		ev = node.Event{Kind: node.Recv, From: sl.peer, Msg: sl.msg}
		size := sl.msg.Size()
		n.stats.MessagesReceived++
		n.stats.BytesReceived += int64(size)
	case evDiskDone:
		ev = node.Event{Kind: node.DiskDone, Op: sl.op, Err: sl.err}
	case evDisconnect:
		ev = node.Event{Kind: node.Disconnected, From: sl.peer}
	case evExec:
		fn = sl.fn
	}
	s.release(idx)
	s.record(n, &ev)
	s.cur, s.curEv, s.curWhat = n, ev, "a posted function"
	n.charged = 0
	if fn != nil {
		fn()
	} else {
		n.machine.Handle(ev)
	}
	s.cur, s.curWhat = nil, ""
	n.finish(core, s.now)
}

// boot makes a new Machine for n and starts it as a handler on a free core.
func (s *Sim) boot(n *nodeState, restart bool) {
	n.machine = n.factory()
	if n.machine == nil {
		panic(s.assertf("node %s: factory returned a nil Machine", n.name))
	}
	kind := "start"
	if restart {
		kind = "restart"
	}
	s.lifecycle(n, kind, "")
	core := max(n.freeCore(s.now), 0)
	s.cur, s.curEv, s.curWhat = n, node.Event{}, fmt.Sprintf("Start(restart=%v)", restart)
	n.charged = 0
	n.machine.Start(n, restart)
	s.cur, s.curWhat = nil, ""
	n.finish(core, s.now)
}

package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"logsim/broker/node"
)

// downState says whether a node's process is running.
type downState uint8

const (
	upState    downState = iota
	crashed              // the process died; the machine (kernel, page cache) is up
	poweredOff           // the machine lost power; only durable disk state remains
)

// nodeState is one node: its Machine, CPU, disk, clock, and outbound links. It is also
// the node's node.Env.
type nodeState struct {
	s       *Sim
	id      node.ID
	idx     int // dense index in order of addition: links are indexed by it
	name    string
	cfg     NodeConfig
	factory func() node.Machine
	machine node.Machine
	rnd     *rand.Rand
	disk    *disk

	started     bool
	down        downState
	paused      bool
	inc         uint32 // incarnation: bumped by every crash and power loss
	wakePending bool

	// CPU: when each core is free, and the work charged by the running handler.
	coreFree []time.Duration
	charged  time.Duration

	// backlog holds events that arrived while the node was paused or busy, in
	// arrival order: a queue over backlog[head:]. Entries are keys (sequence and
	// slot), so an event cancelled while it waits is skipped.
	backlog []uint64
	head    int

	nicBusy time.Duration // when the outbound NIC finishes its queued messages
	rxBusy  time.Duration // when the inbound NIC finishes the messages booked on it
	out     []*link       // outbound links, indexed by the peer's idx; nil until first used

	// Clock skew: Env.Now = skewBase + (t - skewSince) * (1 + drift).
	skewBase, skewSince time.Duration
	drift               float64

	stats NodeStats
}

func newNodeState(s *Sim, id node.ID, name string, cfg NodeConfig, factory func() node.Machine) *nodeState {
	if cfg.Cores == 0 {
		cfg.Cores = 1
	}
	n := &nodeState{
		s: s, id: id, idx: len(s.byName), name: name, cfg: cfg, factory: factory,
		rnd:      s.streams.Get("node/" + name),
		coreFree: make([]time.Duration, cfg.Cores),
	}
	n.disk = newDisk(n, s.streams.Get("disk/"+name))
	n.stats = NodeStats{ID: id, Name: name, Cores: cfg.Cores, CoreBusy: make([]time.Duration, cfg.Cores)}
	return n
}

// freeCore returns the lowest-numbered core free at t, or -1.
func (n *nodeState) freeCore(t time.Duration) int {
	for i, f := range n.coreFree {
		if f <= t {
			return i
		}
	}
	return -1
}

// nextFree is when the first core becomes free.
func (n *nodeState) nextFree() time.Duration {
	t := n.coreFree[0]
	for _, f := range n.coreFree[1:] {
		t = min(t, f)
	}
	return t
}

// finish books the charged work of the handler that ran at now on core.
func (n *nodeState) finish(core int, now time.Duration) {
	if n.charged > 0 {
		n.coreFree[core] = now + n.charged
		n.stats.CoreBusy[core] += n.charged
		n.stats.CPUBusy += n.charged
	}
	n.charged = 0
}

func (n *nodeState) backlogLen() int { return len(n.backlog) - n.head }

func (n *nodeState) hold(idx uint32) {
	n.backlog = append(n.backlog, n.s.slots[idx].seq<<slotBits|uint64(idx))
}

// unhold takes the oldest backlogged event that is still live; ok is false when none
// is left.
func (n *nodeState) unhold() (idx uint32, ok bool) {
	for n.head < len(n.backlog) {
		key := n.backlog[n.head]
		n.head++
		if n.head == len(n.backlog) {
			n.backlog, n.head = n.backlog[:0], 0
		}
		if idx := uint32(key & slotMask); n.s.slots[idx].seq == key>>slotBits {
			return idx, true
		}
	}
	return 0, false
}

// clearBacklog frees every held event (the process that would handle them is gone).
func (n *nodeState) clearBacklog() {
	for _, key := range n.backlog[n.head:] {
		if idx := uint32(key & slotMask); n.s.slots[idx].seq == key>>slotBits {
			n.s.release(idx)
		}
	}
	n.backlog, n.head = n.backlog[:0], 0
}

// effectAt is when an effect produced now by the running handler leaves the node: after
// the work charged so far.
func (n *nodeState) effectAt() time.Duration { return n.s.now + n.charged }

// The node.Env implementation.

// ID implements node.Env.
func (n *nodeState) ID() node.ID { return n.id }

// Now implements node.Env: kernel time plus the work charged so far in this handler,
// as the node's skewed clock reports it.
func (n *nodeState) Now() time.Duration {
	t := n.effectAt()
	if n.drift == 0 {
		return n.skewBase + t - n.skewSince
	}
	return n.skewBase + time.Duration(float64(t-n.skewSince)*(1+n.drift))
}

// After implements node.Env. The timer starts when the charged work is done; a
// negative d counts as 0. Timers fire in kernel time, whatever the node's clock skew.
func (n *nodeState) After(d time.Duration, t node.Timer) node.TimerID {
	s := n.s
	sl, idx := s.alloc(evTimer, n.id)
	sl.timer = t
	sl.inc = n.inc
	return node.TimerID(s.enqueue(later(n.effectAt(), d), idx))
}

// Cancel implements node.Env. A timer that expired but waits in a paused or busy
// node's backlog is still cancelled.
func (n *nodeState) Cancel(id node.TimerID) {
	n.s.cancel(uint64(id), evTimer, n.id)
}

// Send implements node.Env.
func (n *nodeState) Send(to node.ID, m node.Message) {
	s := n.s
	if m == nil {
		panic(s.assertf("node %s: Send of a nil message to %d", n.name, to))
	}
	if s.lookup(to) == nil {
		panic(s.assertf("node %s: Send %s to unknown node %d", n.name, m.Kind(), to))
	}
	l := s.linkTo(n, to)
	if n.charged == 0 && l.queued == 0 {
		s.transmit(n, to, m)
		return
	}
	// Leave after the charged work, but never before a send this node issued earlier
	// on the same connection.
	at := max(n.effectAt(), l.lastDepart)
	l.lastDepart = at
	l.queued++
	sl, idx := s.alloc(evSend, n.id)
	sl.peer = to
	sl.msg = m
	sl.inc = n.inc
	s.enqueue(at, idx)
}

// Disk implements node.Env.
func (n *nodeState) Disk() node.Disk { return n.disk }

// Rand implements node.Env: the stream "node/<name>".
func (n *nodeState) Rand() *rand.Rand { return n.rnd }

// Charge implements node.Env. Effects made later in the handler (sends, disk
// operations, timers) are shifted by the work charged so far; the core stays busy
// until all of it is done, and events for a node whose cores are all busy wait.
func (n *nodeState) Charge(d time.Duration) {
	if d > 0 {
		n.charged += d
	}
}

// Logf implements node.Env: a "log" line in the trace, when tracing.
func (n *nodeState) Logf(format string, args ...any) {
	if n.s.trace == nil {
		return
	}
	n.s.traceLine(n.name, "log", fmt.Sprintf(format, args...))
}

// Lifecycle faults.

// Crash kills node id's process: its Machine and everything in memory (timers,
// backlogged events, work in progress) are gone; the page cache survives, and disk
// operations already issued still complete (their DiskDone is lost). Every connection
// of the node is reset: messages in flight either way are lost and each peer gets
// Disconnected after one latency draw (the kernel's FIN/RST). While it is down, a
// Send to it fails like a refused connection (see NetworkConfig.ConnectTimeout).
func (s *Sim) Crash(id node.ID) error { return s.stop(id, crashed) }

// PowerLoss cuts node id's power: as Crash, but the disk keeps only durable state (a
// torn last write is possible, see DiskProfile), operations in flight are lost, and
// peers are not told: their connections stay half-open. A Send to the node while it
// is down is silently lost (Kafka clients notice by request timeouts); after the
// restart, a peer's first Send on the old connection is lost and answered with
// Disconnected.
func (s *Sim) PowerLoss(id node.ID) error { return s.stop(id, poweredOff) }

func (s *Sim) stop(id node.ID, how downState) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	if !n.started || n.down != upState {
		return fmt.Errorf("sim: node %s is not running; crash or power off a running node", n.name)
	}
	return s.guard(func() {
		n.down = how
		n.inc++
		n.machine = nil
		n.paused = false
		n.clearBacklog()
		n.wakePending = false
		for i := range n.coreFree {
			n.coreFree[i] = s.now
		}
		if how == poweredOff {
			n.stats.PowerLosses++
			n.disk.powerLoss()
			s.lifecycle(n, "powerloss", "")
		} else {
			n.stats.Crashes++
			s.lifecycle(n, "crash", "")
		}
		s.nodeDown(n, how)
	})
}

// Restart brings a crashed or powered-off node back: a new Machine from the factory,
// started with Start(env, true) to rebuild from its disk.
func (s *Sim) Restart(id node.ID) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	if !n.started || n.down == upState {
		return fmt.Errorf("sim: node %s is not down; restart a crashed or powered-off node", n.name)
	}
	n.down = upState
	n.stats.Restarts++
	return s.guard(func() { s.boot(n, true) })
}

// Pause stops node id as SIGSTOP or a long GC pause would: nothing is handled, and
// its timers, messages and disk completions wait, in order, until Resume. Work
// charged before the pause still completes. Peers notice only by timeouts.
func (s *Sim) Pause(id node.ID) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	if n.paused || n.down != upState || !n.started {
		return fmt.Errorf("sim: node %s is not running; pause a running node", n.name)
	}
	n.paused = true
	s.lifecycle(n, "pause", "")
	return nil
}

// Resume lets a paused node run: what waited is handled first, in arrival order.
func (s *Sim) Resume(id node.ID) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	if !n.paused {
		return fmt.Errorf("sim: node %s is not paused", n.name)
	}
	n.paused = false
	s.lifecycle(n, "resume", "")
	if n.backlogLen() > 0 {
		s.wakeAt(n, max(s.now, n.nextFree()))
	}
	return nil
}

// SkewClock changes what node id's Env.Now reports: from now on its clock jumps by
// jump (negative jumps go back in time) and runs at rate 1+drift (drift 0.001 gains
// 1ms per second). Only Env.Now is affected: timers still fire after the requested
// duration of kernel time, as a monotonic timer would.
func (s *Sim) SkewClock(id node.ID, jump time.Duration, drift float64) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	if drift <= -1 || drift != drift {
		return fmt.Errorf("sim: clock drift %v for node %s: accepted: a rate above -1 (0 = exact)", drift, n.name)
	}
	saved := n.charged
	n.charged = 0
	local := n.Now()
	n.charged = saved
	n.skewBase, n.skewSince, n.drift = local+jump, s.now, drift
	s.lifecycle(n, "skew", fmt.Sprintf("jump=%v drift=%v", jump, drift))
	return nil
}

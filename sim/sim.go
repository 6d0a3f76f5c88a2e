package sim

import (
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"logsim/broker/node"
)

// evKind is what a queued slot does when its time comes.
type evKind uint8

const (
	evFree       evKind = iota
	evTimer             // a Machine's timer (TimerFired)
	evRecv              // a message arriving over a connection (Recv)
	evDiskDone          // a disk operation completing (DiskDone)
	evDisconnect        // a connection reset reaching one end (Disconnected)
	evExec              // a function run as a handler of the node (Post)
	evSend              // a Send leaving the node after the handler's charged work
	evCallback          // a kernel callback (At)
	evWake              // a busy or resumed node takes events from its backlog
	evStall             // a stalled connection's StallTimeout expires
	evWriteback         // the kernel writes a disk's old dirty pages back
)

// slot is the payload of one queued event. Slots live in a slab and are reused through
// a free list, so scheduling does not allocate. seq is the queue sequence of the event
// the slot holds (0 while free): queue entries, backlog entries and TimerIDs name a
// slot together with a sequence, so they go stale when the slot is freed.
type slot struct {
	kind   evKind
	diskOp diskOpKind
	seq    uint64
	inc    uint32 // the node's incarnation when the event was made
	epoch  uint32 // connection epoch (recv, stall) or disk power generation (disk)
	node   node.ID
	peer   node.ID
	timer  node.Timer
	op     node.OpID
	n      int
	msg    node.Message
	err    error
	fn     func()
	file   *file
	next   uint32 // free list link
}

// Sim is one deterministic simulation: a virtual clock, one event queue, the nodes with
// their disks and CPUs, and the network between them. It is single-threaded: call its
// methods from one goroutine (callbacks scheduled with At run inside Run).
type Sim struct {
	cfg     Config
	now     time.Duration
	q       queue
	slots   []slot
	free    uint32 // head of the free list, or noSlot
	live    int    // queued or backlogged events not cancelled
	streams *Streams
	netRand *rand.Rand

	nodes  []*nodeState // indexed by ID; nil where no node has that ID
	byName map[string]node.ID

	partitions map[PartitionID]*partition
	nextPart   PartitionID

	cur      *nodeState // the node whose handler is running, if any
	curEv    node.Event
	curWhat  string // what the kernel is doing outside handlers, for failures
	failure  *Failure
	guarding bool // inside guard: a panic is recovered there

	events uint64
	hash   uint64
	trace  io.Writer
	line   []byte // reused buffer for trace lines
}

const noSlot = ^uint32(0)

// maxNodeID bounds node IDs: nodes and links are indexed by ID.
const maxNodeID = 1 << 16

// New returns a simulation at virtual time 0 with no nodes.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{
		cfg:        cfg,
		free:       noSlot,
		streams:    NewStreams(cfg.Seed),
		byName:     map[string]node.ID{},
		partitions: map[PartitionID]*partition{},
		nextPart:   1,
		trace:      cfg.Trace,
		hash:       hashSeed ^ cfg.Seed,
	}
	s.netRand = s.streams.Get("network")
	return s, nil
}

// Seed is the master seed.
func (s *Sim) Seed() uint64 { return s.cfg.Seed }

// Now is the kernel's virtual time: exact, never skewed.
func (s *Sim) Now() time.Duration { return s.now }

// Stream returns the named random stream derived from the seed (see Streams). The
// kernel uses "network", "node/<name>" and "disk/<name>"; fault schedules should use
// "faults" and workloads "workload/<name>".
func (s *Sim) Stream(name string) *rand.Rand { return s.streams.Get(name) }

// Streams exposes the stream set, for packages that derive streams themselves.
func (s *Sim) Streams() *Streams { return s.streams }

// Events is the number of events dispatched to Machines so far.
func (s *Sim) Events() uint64 { return s.events }

// Pending is the number of scheduled events that have not run and were not cancelled,
// including events held for paused or busy nodes.
func (s *Sim) Pending() int { return s.live }

// Fingerprint is the running 64-bit hash over every dispatched event and lifecycle
// change. Two runs with the same seed and inputs have the same fingerprint.
func (s *Sim) Fingerprint() uint64 { return s.hash }

// Failure is the failure that stopped the run, or nil.
func (s *Sim) Failure() *Failure { return s.failure }

// AddNode adds a node with the next free ID (the highest ID in use plus one, 0 for the
// first). The node is not started: call Start or StartNode. factory makes the Machine,
// at start and again on every restart after a crash.
func (s *Sim) AddNode(name string, cfg NodeConfig, factory func() node.Machine) (node.ID, error) {
	return s.AddNodeWithID(node.ID(len(s.nodes)), name, cfg, factory)
}

// AddNodeWithID adds a node with a chosen ID, such as a Kafka broker's node.id.
func (s *Sim) AddNodeWithID(id node.ID, name string, cfg NodeConfig, factory func() node.Machine) (node.ID, error) {
	if id < 0 || id >= maxNodeID {
		return node.None, fmt.Errorf("sim: node id %d out of range; accepted: 0 to %d", id, maxNodeID-1)
	}
	if int(id) < len(s.nodes) && s.nodes[id] != nil {
		return node.None, fmt.Errorf("sim: node id %d is already %q", id, s.nodes[id].name)
	}
	if name == "" || strings.ContainsAny(name, " \t\n") {
		return node.None, fmt.Errorf("sim: node name %q: accepted: a non-empty name without spaces", name)
	}
	if _, dup := s.byName[name]; dup {
		return node.None, fmt.Errorf("sim: node name %q is already taken", name)
	}
	if factory == nil {
		return node.None, fmt.Errorf("sim: node %q: factory is nil", name)
	}
	if err := cfg.Validate("nodes." + name); err != nil {
		return node.None, err
	}
	for int(id) >= len(s.nodes) {
		s.nodes = append(s.nodes, nil)
	}
	s.nodes[id] = newNodeState(s, id, name, cfg, factory)
	s.byName[name] = id
	return id, nil
}

// Lookup returns the ID of the node called name, or an error listing the known names.
func (s *Sim) Lookup(name string) (node.ID, error) {
	if id, ok := s.byName[name]; ok {
		return id, nil
	}
	names := slices.Sorted(maps.Keys(s.byName))
	return node.None, fmt.Errorf("sim: unknown node %q; known: %s", name, strings.Join(names, ", "))
}

// NodeIDs lists the IDs of all nodes, in increasing order.
func (s *Sim) NodeIDs() []node.ID {
	ids := make([]node.ID, 0, len(s.byName))
	for _, n := range s.nodes {
		if n != nil {
			ids = append(ids, n.id)
		}
	}
	return ids
}

// Name is the name of node id ("" if there is none).
func (s *Sim) Name(id node.ID) string {
	if n := s.lookup(id); n != nil {
		return n.name
	}
	return ""
}

// Machine is node id's live Machine, or nil while it is down or before it starts, so
// that a harness can inspect a broker's state.
func (s *Sim) Machine(id node.ID) node.Machine {
	if n := s.lookup(id); n != nil {
		return n.machine
	}
	return nil
}

// Env is node id's environment, for tests that drive a Machine by hand.
func (s *Sim) Env(id node.ID) node.Env {
	if n := s.lookup(id); n != nil {
		return n
	}
	return nil
}

// State reports whether node id is up (started and not crashed) and whether it is
// paused.
func (s *Sim) State(id node.ID) (up, paused bool) {
	if n := s.lookup(id); n != nil {
		return n.started && n.down == upState, n.paused
	}
	return false, false
}

func (s *Sim) lookup(id node.ID) *nodeState {
	if id < 0 || int(id) >= len(s.nodes) {
		return nil
	}
	return s.nodes[id]
}

// get returns node id or an error naming the known nodes.
func (s *Sim) get(id node.ID) (*nodeState, error) {
	if n := s.lookup(id); n != nil {
		return n, nil
	}
	var known []string
	for _, n := range s.nodes {
		if n != nil {
			known = append(known, fmt.Sprintf("%d (%s)", n.id, n.name))
		}
	}
	return nil, fmt.Errorf("sim: unknown node %d; known: %s", id, strings.Join(known, ", "))
}

// Start starts every node that has not started yet, in ID order, at the current time.
func (s *Sim) Start() error {
	for _, n := range s.nodes {
		if n != nil && !n.started {
			if err := s.StartNode(n.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// StartNode boots node id: it makes the Machine and calls Start(env, false).
func (s *Sim) StartNode(id node.ID) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	if n.started {
		return fmt.Errorf("sim: node %s already started", n.name)
	}
	n.started = true
	return s.guard(func() { s.boot(n, false) })
}

// At runs fn at virtual time t (at once if t is in the past) inside the event loop, in
// order with the other events of that instant. Fault schedules use it. A panic in fn
// fails the run like a panic in a Machine.
func (s *Sim) At(t time.Duration, fn func()) {
	if fn == nil {
		panic(s.assertf("At(%v) with a nil function", t))
	}
	sl, idx := s.alloc(evCallback, node.None)
	sl.fn = fn
	s.enqueue(max(t, s.now), idx)
}

// After runs fn d after the current time (see At).
func (s *Sim) After(d time.Duration, fn func()) { s.At(later(s.now, d), fn) }

// later is t+d for d >= 0, saturating at the end of time; a negative d counts as 0.
func later(t, d time.Duration) time.Duration {
	if d <= 0 {
		return t
	}
	if d > forever-t {
		return forever
	}
	return t + d
}

// Post runs fn as a handler of node id: at the current time, queued behind the node's
// other events while it is paused or its cores are busy, with Charge and panics
// attributed to the node. Workloads use it to call into client Machines. It does
// nothing once the node is down.
func (s *Sim) Post(id node.ID, fn func()) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	sl, idx := s.alloc(evExec, id)
	sl.fn = fn
	sl.inc = n.inc
	s.enqueue(s.now, idx)
	return nil
}

// alloc takes a free slot and sets its kind and node.
func (s *Sim) alloc(k evKind, id node.ID) (*slot, uint32) {
	idx := s.free
	if idx == noSlot {
		if len(s.slots) >= maxSlots {
			panic(s.assertf("more than %d events pending at once", maxSlots))
		}
		s.slots = append(s.slots, slot{})
		idx = uint32(len(s.slots) - 1)
	} else {
		s.free = s.slots[idx].next
	}
	sl := &s.slots[idx]
	sl.kind = k
	sl.node = id
	return sl, idx
}

// enqueue schedules slot idx at time t and returns its key (sequence and slot), which
// names the event until it runs or is cancelled.
func (s *Sim) enqueue(t time.Duration, idx uint32) uint64 {
	s.live++
	key := s.q.push(t, idx)
	s.slots[idx].seq = key >> slotBits
	return key
}

// release frees slot idx; entries and ids that still name it go stale. Only the
// references are cleared (for the garbage collector) and the identity: every kind of
// event sets the plain fields it reads when it is made.
func (s *Sim) release(idx uint32) {
	sl := &s.slots[idx]
	sl.seq, sl.kind = 0, evFree
	sl.msg, sl.err, sl.fn, sl.file = nil, nil, nil, nil
	sl.next = s.free
	s.free = idx
	s.live--
}

// cancel frees the slot named by key if it still holds that event, of kind k and
// owned by owner.
func (s *Sim) cancel(key uint64, k evKind, owner node.ID) bool {
	idx := uint32(key & slotMask)
	if int(idx) >= len(s.slots) {
		return false
	}
	sl := &s.slots[idx]
	if sl.seq != key>>slotBits || sl.seq == 0 || sl.kind != k || sl.node != owner {
		return false
	}
	s.release(idx)
	return true
}

// guard runs fn and turns a panic into the run's failure. Nested calls (a fault
// callback that restarts a node inside Run) let the panic reach the outermost guard,
// so that the run stops there.
func (s *Sim) guard(fn func()) (err error) {
	if s.failure != nil {
		return s.failure
	}
	if s.guarding {
		fn()
		return nil
	}
	s.guarding = true
	defer func() {
		s.guarding = false
		if r := recover(); r != nil {
			s.failure = s.newFailure(r)
			s.cur = nil
			err = s.failure
		}
	}()
	fn()
	return nil
}

// checkInvariants verifies the slab's bookkeeping between events: every slot is free
// or holds a scheduled event, live counts the latter, and the free list holds the
// former exactly once. Tests call it after long randomized runs.
func (s *Sim) checkInvariants() error {
	used := 0
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.kind == evFree {
			continue
		}
		used++
		if sl.seq == 0 {
			return fmt.Errorf("slot %d (kind %d) is in use without a sequence", i, sl.kind)
		}
	}
	if used != s.live {
		return fmt.Errorf("%d slots in use, but %d events counted live", used, s.live)
	}
	free := 0
	for idx := s.free; idx != noSlot; idx = s.slots[idx].next {
		if s.slots[idx].kind != evFree {
			return fmt.Errorf("slot %d on the free list holds an event", idx)
		}
		if free++; free > len(s.slots) {
			return fmt.Errorf("free list has a cycle")
		}
	}
	if free+used != len(s.slots) {
		return fmt.Errorf("%d free + %d used != %d slots", free, used, len(s.slots))
	}
	held := 0
	for _, n := range s.nodes {
		if n != nil {
			held += n.backlogLen()
		}
	}
	if s.q.len()+held < s.live {
		return fmt.Errorf("queue and backlogs hold %d entries, fewer than %d live events", s.q.len()+held, s.live)
	}
	return nil
}

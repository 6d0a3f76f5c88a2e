package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

// msg is a test message: Seq identifies it, Bytes is its wire size.
type msg struct {
	Seq   int
	Bytes int
}

func (m *msg) Kind() string { return "Msg" }
func (m *msg) Size() int    { return m.Bytes }

// got is one event a rec Machine handled, with the kernel time it ran at.
type got struct {
	At   time.Duration
	Ev   node.Event
	Node node.ID
}

func (g got) String() string {
	switch g.Ev.Kind {
	case node.Recv:
		return fmt.Sprintf("%v recv %d from %d", g.At, g.Ev.Msg.(*msg).Seq, g.Ev.From)
	case node.TimerFired:
		return fmt.Sprintf("%v timer %d/%d", g.At, g.Ev.Timer.Kind, g.Ev.Timer.Arg)
	case node.DiskDone:
		return fmt.Sprintf("%v disk %d %v", g.At, g.Ev.Op, g.Ev.Err)
	case node.Disconnected:
		return fmt.Sprintf("%v disconnect %d", g.At, g.Ev.From)
	}
	return "?"
}

// rec is a test Machine: it records what it handles and runs optional hooks.
type rec struct {
	env      node.Env
	restarts int
	log      *[]got // shared by all nodes of a test, in dispatch order
	own      []got
	onStart  func(r *rec, restart bool)
	onEvent  func(r *rec, ev node.Event)
}

func (r *rec) Start(env node.Env, restart bool) {
	r.env = env
	if restart {
		r.restarts++
	}
	if r.onStart != nil {
		r.onStart(r, restart)
	}
}

func (r *rec) Handle(ev node.Event) {
	g := got{At: r.env.(*nodeState).s.now, Ev: ev, Node: r.env.ID()}
	r.own = append(r.own, g)
	if r.log != nil {
		*r.log = append(*r.log, g)
	}
	if r.onEvent != nil {
		r.onEvent(r, ev)
	}
}

// world is a test simulation with rec nodes named n0, n1, ...
type world struct {
	t   *testing.T
	s   *Sim
	log []got
	ids []node.ID
}

func newWorld(t *testing.T, cfg Config, nodes int, ncfg NodeConfig) *world {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	w := &world{t: t, s: s}
	for i := 0; i < nodes; i++ {
		id, err := s.AddNode(fmt.Sprintf("n%d", i), ncfg, func() node.Machine { return &rec{log: &w.log} })
		require.NoError(t, err)
		w.ids = append(w.ids, id)
	}
	require.NoError(t, s.Start())
	return w
}

// m returns node i's live Machine.
func (w *world) m(i node.ID) *rec { return w.s.Machine(i).(*rec) }

// do runs fn as a handler of node i now (through Post, then runs the queue up to now).
func (w *world) do(i node.ID, fn func(env node.Env)) {
	w.t.Helper()
	require.NoError(w.t, w.s.Post(i, func() { fn(w.s.Env(i)) }))
	require.NoError(w.t, w.s.Run(w.s.Now()))
}

func (w *world) send(from, to node.ID, seq, size int) {
	w.do(from, func(env node.Env) { env.Send(to, &msg{Seq: seq, Bytes: size}) })
}

func (w *world) run(until time.Duration) {
	w.t.Helper()
	require.NoError(w.t, w.s.Run(until))
}

// recvs lists the Seq of messages node id received, in order.
func (w *world) recvs(id node.ID) []int {
	var out []int
	for _, g := range w.log {
		if g.Node == id && g.Ev.Kind == node.Recv {
			out = append(out, g.Ev.Msg.(*msg).Seq)
		}
	}
	return out
}

// kinds lists "kind:peer" of node id's events other than Recv and timers.
func (w *world) disconnects(id node.ID) []got {
	var out []got
	for _, g := range w.log {
		if g.Node == id && g.Ev.Kind == node.Disconnected {
			out = append(out, g)
		}
	}
	return out
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

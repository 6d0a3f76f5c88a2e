package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

// seqSender sends numbered messages to random peers on random timers; receivers check
// that every connection delivers in order, whatever the faults do: messages may be
// lost (resets, crashes) but never reordered or duplicated.
type seqSender struct {
	env   node.Env
	nodes int
	next  map[node.ID]int // next sequence number per destination
	seen  map[node.ID]int // highest sequence received per source
	t     *testing.T
}

func (m *seqSender) Start(env node.Env, restart bool) {
	m.env = env
	// Sequence numbers survive restarts through the incarnation counter in the
	// high bits, so that a new incarnation's messages sort after the old ones.
	m.next, m.seen = map[node.ID]int{}, map[node.ID]int{}
	env.After(0, node.Timer{Kind: 1})
}

func (m *seqSender) Handle(ev node.Event) {
	r := m.env.Rand()
	switch ev.Kind {
	case node.TimerFired:
		to := node.ID(r.IntN(m.nodes))
		m.next[to]++
		stamp := int(m.env.(*nodeState).inc)<<32 | m.next[to]
		m.env.Charge(time.Duration(r.IntN(50)) * time.Microsecond)
		m.env.Send(to, &msg{Seq: stamp, Bytes: 100 + r.IntN(20000)})
		m.env.After(time.Duration(r.IntN(int(time.Millisecond))), node.Timer{Kind: 1})
	case node.Recv:
		seq := ev.Msg.(*msg).Seq
		if seq <= m.seen[ev.From] {
			panic(fmt.Sprintf("connection %d->%d delivered %x after %x", ev.From, m.env.ID(), seq, m.seen[ev.From]))
		}
		m.seen[ev.From] = seq
	}
}

func TestConnectionsNeverReorderUnderFaults(t *testing.T) {
	seeds := 20
	if testing.Short() {
		seeds = 5
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		cfg := Config{Seed: seed, Network: NetworkConfig{
			Latency:   Latency{Kind: Mixture, Min: 50 * time.Microsecond, Max: 2 * time.Millisecond, SlowProbability: 0.05, SlowMax: 50 * time.Millisecond},
			Bandwidth: 10_000_000, StallTimeout: 300 * time.Millisecond,
		}}
		s, err := New(cfg)
		require.NoError(t, err)
		const n = 5
		for i := 0; i < n; i++ {
			_, err := s.AddNode(fmt.Sprintf("s%d", i), NodeConfig{Cores: 1 + i%2, NICBandwidth: 50_000_000},
				func() node.Machine { return &seqSender{nodes: n, t: t} })
			require.NoError(t, err)
		}
		require.NoError(t, s.Start())
		scheduleFaults(s, n, 5*time.Second)
		require.NoError(t, s.Run(5*time.Second), "seed %d", seed)
		s.HealNetwork()
		for _, id := range s.NodeIDs() {
			if up, paused := s.State(id); !up {
				require.NoError(t, s.Restart(id))
			} else if paused {
				require.NoError(t, s.Resume(id))
			}
		}
		require.NoError(t, s.Run(6*time.Second), "seed %d", seed)
		require.NoError(t, s.checkInvariants(), "seed %d", seed)
		require.Greater(t, s.TotalStats().MessagesReceived, int64(1000))
	}
}

package sim

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

// rumors is a gossip message: the rumors the sender knows.
type rumors struct{ ids []int }

func (r *rumors) Kind() string { return "Rumors" }
func (r *rumors) Size() int    { return 16 + 8*len(r.ids) }

// gossiper spreads rumors: on a random timer it starts a rumor or pushes what it knows
// to a random peer; it logs every new rumor to disk and syncs now and then; on restart
// it recovers its rumors from disk. Every decision draws on Env.Rand.
type gossiper struct {
	env   node.Env
	peers int
	known map[int]bool
	list  []int // known, in the order learnt
}

func (g *gossiper) Start(env node.Env, restart bool) {
	g.env = env
	g.known = map[int]bool{}
	if restart {
		es, err := env.Disk().Read("rumors", 0)
		if err == nil {
			for _, e := range es {
				if id := e.Data.(int); e.Sum == uint32(id) && !g.known[id] {
					g.known[id] = true
					g.list = append(g.list, id)
				}
			}
		}
	}
	g.tick()
}

func (g *gossiper) tick() {
	g.env.After(time.Duration(g.env.Rand().Int64N(int64(20*time.Millisecond))), node.Timer{Kind: 1})
}

func (g *gossiper) learn(id int) {
	if g.known[id] {
		return
	}
	g.known[id] = true
	g.list = append(g.list, id)
	g.env.Disk().Append("rumors", node.Entry{Data: id, Size: int32(64 + id%5000), Sum: uint32(id)})
	if g.env.Rand().IntN(4) == 0 {
		g.env.Disk().Sync("rumors")
	}
}

func (g *gossiper) Handle(ev node.Event) {
	r := g.env.Rand()
	switch ev.Kind {
	case node.TimerFired:
		if r.IntN(5) == 0 {
			g.learn(int(g.env.ID())*1_000_000 + r.IntN(1_000_000))
		}
		ids := g.list
		if len(ids) > 16 { // push a random window of what it knows
			start := r.IntN(len(ids) - 15)
			ids = ids[start : start+16 : start+16]
		}
		g.env.Charge(time.Duration(r.IntN(200)) * time.Microsecond)
		g.env.Send(node.ID(r.IntN(g.peers)), &rumors{ids: ids})
		g.tick()
	case node.Recv:
		g.env.Charge(time.Duration(len(ev.Msg.(*rumors).ids)) * time.Microsecond)
		for _, id := range ev.Msg.(*rumors).ids {
			g.learn(id)
		}
	}
}

// gossipRun runs 7 gossipers (one of them a "client" with a slower link) for 20
// virtual seconds under a random fault schedule, and returns the fingerprint.
func gossipRun(t testing.TB, seed uint64, trace *bytes.Buffer) (uint64, *Sim) {
	cfg := Config{Seed: seed, Network: NetworkConfig{Latency: FDBLatency(), Bandwidth: 50_000_000, StallTimeout: 2 * time.Second}}
	if trace != nil {
		cfg.Trace = trace
	}
	s, err := New(cfg)
	require.NoError(t, err)
	const n = 7
	for i := 0; i < n; i++ {
		ncfg := NodeConfig{Cores: 1 + i%3, Disk: DefaultDiskProfile()}
		_, err := s.AddNode(fmt.Sprintf("g%d", i), ncfg, func() node.Machine { return &gossiper{peers: n} })
		require.NoError(t, err)
	}
	require.NoError(t, s.SetLink(6, 0, LinkConfig{Latency: ExponentialLatency(time.Millisecond, 5*time.Millisecond)}))
	require.NoError(t, s.Start())
	scheduleFaults(s, n, 20*time.Second)
	require.NoError(t, s.Run(20*time.Second))
	require.NoError(t, s.checkInvariants())
	return s.Fingerprint(), s
}

// scheduleFaults draws a fault every 200ms on average from the "faults" stream.
func scheduleFaults(s *Sim, n int, until time.Duration) {
	r := s.Stream("faults")
	for at := time.Duration(0); at < until; at += time.Duration(ExpFloat64(r) * float64(200*time.Millisecond)) {
		kind, a, b := r.IntN(9), node.ID(r.IntN(n)), node.ID(r.IntN(n))
		d := time.Duration(r.Int64N(int64(time.Second)))
		s.At(at, func() {
			up, paused := s.State(a)
			switch kind {
			case 0:
				if up {
					_ = s.Crash(a)
					s.After(d, func() { _ = s.Restart(a) })
				}
			case 1:
				if up {
					_ = s.PowerLoss(a)
					s.After(d, func() { _ = s.Restart(a) })
				}
			case 2:
				if up && !paused {
					_ = s.Pause(a)
					s.After(d, func() { _ = s.Resume(a) })
				}
			case 3:
				if pid, err := s.Partition([]node.ID{a}, []node.ID{b}); err == nil {
					s.After(d, func() { _ = s.Heal(pid) })
				}
			case 4:
				if pid, err := s.PartitionOneWay([]node.ID{a}, []node.ID{b}); err == nil {
					s.After(d, func() { _ = s.Heal(pid) })
				}
			case 5:
				if s.Clog(a, b) == nil {
					s.After(d, func() { _ = s.Unclog(a, b) })
				}
			case 6:
				_ = s.ResetConnection(a, b)
			case 7:
				_ = s.SkewClock(a, d-time.Second/2, 0.001)
			case 8:
				_ = s.SetDiskErrorRate(a, 0.05)
				s.After(d, func() { _ = s.SetDiskErrorRate(a, 0) })
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	var t1, t2 bytes.Buffer
	f1, s1 := gossipRun(t, 1, &t1)
	f2, _ := gossipRun(t, 1, &t2)
	require.Equal(t, f1, f2, "same seed, same fingerprint")
	require.Equal(t, t1.String(), t2.String(), "same seed, same trace")
	// The run is not trivial: the faults and the gossip really happened.
	total := s1.TotalStats()
	assert.Greater(t, total.Events, uint64(5000))
	assert.Greater(t, total.Crashes+total.PowerLosses, int64(5))
	assert.Greater(t, total.Fsyncs, int64(100))
	assert.Contains(t, t1.String(), " partition-one-way ")
	assert.Contains(t, t1.String(), " disconnect peer=")

	// Tracing does not change the fingerprint.
	f3, _ := gossipRun(t, 1, nil)
	assert.Equal(t, f1, f3)

	// Neither does the scheduler: GOMAXPROCS 1 and 8, runs in parallel goroutines.
	for _, procs := range []int{1, 8} {
		old := runtime.GOMAXPROCS(procs)
		got := make([]uint64, 4)
		done := make(chan struct{})
		for i := range got {
			go func() {
				defer func() { done <- struct{}{} }()
				got[i], _ = gossipRun(t, 1, nil)
			}()
		}
		for range got {
			<-done
		}
		runtime.GOMAXPROCS(old)
		for _, f := range got {
			assert.Equal(t, f1, f, "GOMAXPROCS %d", procs)
		}
	}

	f4, _ := gossipRun(t, 2, nil)
	assert.NotEqual(t, f1, f4, "a different seed gives a different run")
}

package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

func seqs(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestLinkFIFOUnderRandomLatency(t *testing.T) {
	for _, lat := range []Latency{
		UniformLatency(0, ms(50)),
		ExponentialLatency(ms(1), ms(20)),
		{Kind: Mixture, Min: ms(0.1), Max: ms(0.8), SlowProbability: 0.2, SlowMax: ms(100)},
	} {
		w := newWorld(t, Config{Seed: 9, Network: NetworkConfig{Latency: lat}}, 3, NodeConfig{})
		r := w.s.Stream("test")
		n := 0
		for i := 0; i < 300; i++ {
			from := node.ID(r.IntN(2))
			n++
			w.send(from, 2, int(from)*1000+n, 100)
			w.run(w.s.Now() + time.Duration(r.Int64N(int64(ms(2)))))
		}
		w.run(w.s.Now() + time.Second)
		got := w.recvs(2)
		require.Len(t, got, 300, "%s", lat.Kind)
		last := map[int]int{}
		for _, seq := range got {
			from := seq / 1000
			assert.Greater(t, seq, last[from], "%s: link from %d reordered", lat.Kind, from)
			last[from] = seq
		}
	}
}

func TestLatencyDistributionsStayInRange(t *testing.T) {
	r := NewStream(1, "x")
	cases := []struct {
		l      Latency
		lo, hi time.Duration
	}{
		{ConstantLatency(ms(3)), ms(3), ms(3)},
		{UniformLatency(ms(1), ms(2)), ms(1), ms(2)},
		{Latency{Kind: Exponential, Min: ms(1), Mean: ms(5), Max: ms(30)}, ms(1), ms(30)},
		{FDBLatency(), ms(0.1), ms(100)},
	}
	for _, c := range cases {
		var sum time.Duration
		for i := 0; i < 20000; i++ {
			d := c.l.Sample(r)
			if d < c.lo || d > c.hi {
				require.Failf(t, "sample out of range", "%v: %v not in [%v, %v]", c.l, d, c.lo, c.hi)
			}
			sum += d
		}
		if c.l.Kind == Mixture {
			mean := sum / 20000
			// 0.999 * 450us + 0.001 * 50ms is about 0.5ms.
			assert.InDelta(t, float64(ms(0.5)), float64(mean), float64(ms(0.1)))
		}
	}
}

func TestBandwidthQueuesMessagesOnTheLink(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1)), Bandwidth: 1_000_000}}
	w := newWorld(t, cfg, 3, NodeConfig{})
	w.do(0, func(env node.Env) {
		for i := 1; i <= 3; i++ {
			env.Send(1, &msg{Seq: i, Bytes: 100_000}) // 100ms each at 1 MB/s
		}
		env.Send(2, &msg{Seq: 9, Bytes: 100_000}) // another link: not queued behind
	})
	w.run(time.Second)
	var at []time.Duration
	for _, g := range w.m(1).own {
		at = append(at, g.At)
	}
	assert.Equal(t, []time.Duration{ms(101), ms(201), ms(301)}, at)
	assert.Equal(t, ms(101), w.m(2).own[0].At)
}

func TestNICBandwidthIsSharedByAllLinks(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 3, NodeConfig{NICBandwidth: 1_000_000})
	w.do(0, func(env node.Env) {
		env.Send(1, &msg{Seq: 1, Bytes: 10_000}) // 10ms
		env.Send(2, &msg{Seq: 2, Bytes: 10_000}) // waits for the first
	})
	w.run(time.Second)
	assert.Equal(t, ms(10), w.m(1).own[0].At)
	assert.Equal(t, ms(20), w.m(2).own[0].At)
}

func TestPartitionResetsAndHeals(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1)), ConnectTimeout: ms(50)}}
	w := newWorld(t, cfg, 3, NodeConfig{})
	w.send(0, 1, 1, 10) // in flight when the cut comes
	pid, err := w.s.Partition([]node.ID{0}, []node.ID{1, 2})
	require.NoError(t, err)
	w.run(ms(10))
	assert.Empty(t, w.recvs(1), "in-flight message crossed the cut")
	require.Len(t, w.disconnects(0), 1)
	require.Len(t, w.disconnects(1), 1)
	assert.Empty(t, w.disconnects(2), "n0 and n2 had no connection to reset")

	w.send(0, 2, 2, 10) // lost, refused after the connect timeout
	w.send(1, 2, 3, 10) // same side: delivered
	w.run(ms(100))
	assert.Equal(t, []int{3}, w.recvs(2))
	d := w.disconnects(0)
	require.Len(t, d, 2)
	assert.Equal(t, ms(60), d[1].At)
	assert.Equal(t, node.ID(2), d[1].Ev.From)

	require.NoError(t, w.s.Heal(pid))
	w.send(0, 2, 4, 10)
	w.run(ms(200))
	assert.Equal(t, []int{3, 4}, w.recvs(2))
	assert.Error(t, w.s.Heal(pid), "healing twice")
}

func TestPartitionRejectsBadGroups(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 3, NodeConfig{})
	_, err := w.s.Partition([]node.ID{0}, []node.ID{0, 1})
	assert.ErrorContains(t, err, "n0 is in more than one partition group")
	_, err = w.s.Partition([]node.ID{0}, []node.ID{7})
	assert.ErrorContains(t, err, "unknown node 7; known: 0 (n0), 1 (n1), 2 (n2)")
	_, err = w.s.PartitionOneWay([]node.ID{9}, []node.ID{1})
	assert.ErrorContains(t, err, "unknown node 9")
}

func TestOneWayPartitionStallsBothDirections(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	pid, err := w.s.PartitionOneWay([]node.ID{0}, []node.ID{1})
	require.NoError(t, err)
	w.send(0, 1, 1, 10)
	w.send(1, 0, 2, 10) // the allowed direction stalls too: no ACKs come back
	w.send(0, 1, 3, 10)
	w.run(time.Second)
	assert.Empty(t, w.recvs(1))
	assert.Empty(t, w.recvs(0))
	require.NoError(t, w.s.Heal(pid))
	w.run(2 * time.Second)
	assert.Equal(t, []int{1, 3}, w.recvs(1))
	assert.Equal(t, []int{2}, w.recvs(0))
	assert.Equal(t, time.Second+ms(1), w.m(1).own[0].At)
	assert.Empty(t, w.disconnects(0))
}

func TestStallTimeoutResetsTheConnection(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1)), StallTimeout: ms(500)}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	pid, err := w.s.PartitionOneWay([]node.ID{1}, []node.ID{0})
	require.NoError(t, err)
	w.send(0, 1, 1, 10)
	w.run(time.Second)
	require.Len(t, w.disconnects(0), 1)
	require.Len(t, w.disconnects(1), 1)
	assert.Equal(t, ms(500), w.disconnects(0)[0].At)
	require.NoError(t, w.s.Heal(pid))
	w.run(2 * time.Second)
	assert.Empty(t, w.recvs(1), "the held message died with the connection")
}

func TestClogHoldsAndReleasesInOrder(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: UniformLatency(ms(1), ms(9))}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	w.send(0, 1, 1, 10)
	require.NoError(t, w.s.Clog(0, 1))
	for i := 2; i <= 20; i++ {
		w.send(0, 1, i, 10)
	}
	w.send(1, 0, 99, 10) // the other direction is not clogged
	w.run(time.Second)
	assert.Equal(t, []int{1}, w.recvs(1))
	assert.Equal(t, []int{99}, w.recvs(0))
	require.NoError(t, w.s.Unclog(0, 1))
	w.run(2 * time.Second)
	assert.Equal(t, seqs(1, 20), w.recvs(1))
	for _, g := range w.m(1).own[1:] {
		assert.GreaterOrEqual(t, g.At, time.Second+ms(1))
	}
}

func TestAddLatency(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	require.NoError(t, w.s.AddLatency(0, 1, ms(40)))
	w.send(0, 1, 1, 10)
	w.send(1, 0, 2, 10)
	w.run(time.Second)
	assert.Equal(t, ms(41), w.m(1).own[0].At)
	assert.Equal(t, ms(1), w.m(0).own[0].At)
	assert.Error(t, w.s.AddLatency(0, 1, -ms(1)))
	assert.Error(t, w.s.AddLatency(0, 0, ms(1)))
}

func TestResetConnectionDropsInFlightBothWays(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(10))}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	w.send(0, 1, 1, 10)
	w.send(1, 0, 2, 10)
	w.run(ms(5))
	require.NoError(t, w.s.ResetConnection(0, 1))
	w.send(0, 1, 3, 10) // a new connection
	w.run(time.Second)
	assert.Equal(t, []int{3}, w.recvs(1))
	assert.Empty(t, w.recvs(0))
	require.Len(t, w.disconnects(0), 1)
	require.Len(t, w.disconnects(1), 1)
	assert.Equal(t, ms(5), w.disconnects(1)[0].At)
}

func TestSetLinkOverridesTheDefault(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	require.NoError(t, w.s.SetLink(0, 1, LinkConfig{Latency: ConstantLatency(ms(30))}))
	w.send(0, 1, 1, 10)
	w.send(1, 0, 2, 10)
	w.run(time.Second)
	assert.Equal(t, ms(30), w.m(1).own[0].At)
	assert.Equal(t, ms(1), w.m(0).own[0].At)
	assert.ErrorContains(t, w.s.SetLink(0, 1, LinkConfig{Latency: ConstantLatency(-1)}), "links[0->1].latency.value")
}

func TestCrashResetsConnectionsAndRefusesSends(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(2))}}
	w := newWorld(t, cfg, 3, NodeConfig{})
	w.send(0, 1, 1, 10)
	w.send(1, 2, 2, 10)
	w.run(ms(1))
	require.NoError(t, w.s.Crash(1))
	w.run(ms(10))
	assert.Empty(t, w.recvs(2), "in flight from the crashed node")
	require.Len(t, w.disconnects(0), 1, "the FIN reaches n0")
	assert.Equal(t, ms(3), w.disconnects(0)[0].At)
	require.Len(t, w.disconnects(2), 1)

	w.send(0, 1, 3, 10) // refused: Disconnected after a round trip
	w.run(ms(20))
	require.Len(t, w.disconnects(0), 2)
	assert.Equal(t, ms(14), w.disconnects(0)[1].At)

	require.NoError(t, w.s.Restart(1))
	w.send(0, 1, 4, 10)
	w.run(ms(40))
	assert.Equal(t, []int{4}, w.m(1).recvsOwn())
	assert.Equal(t, 1, w.m(1).restarts)
}

func TestPowerLossLeavesPeersHalfOpen(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(2))}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	w.send(0, 1, 1, 10)
	w.run(ms(5))
	require.NoError(t, w.s.PowerLoss(1))
	w.send(0, 1, 2, 10) // silently lost: no host answers
	w.run(ms(50))
	assert.Empty(t, w.disconnects(0))
	require.NoError(t, w.s.Restart(1))
	w.send(0, 1, 3, 10) // the old connection: reset by the new host
	w.run(ms(100))
	require.Len(t, w.disconnects(0), 1)
	assert.Equal(t, ms(54), w.disconnects(0)[0].At)
	w.send(0, 1, 4, 10) // a new connection works
	w.run(ms(200))
	assert.Equal(t, []int{1, 4}, w.recvs(1))
	st, err := w.s.Stats(0)
	require.NoError(t, err)
	assert.Equal(t, int64(4), st.MessagesSent)
	assert.Equal(t, int64(2), st.MessagesLost)
}

func TestRestartedNodeOpensNewConnectionAfterPowerLoss(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(2))}}
	w := newWorld(t, cfg, 2, NodeConfig{})
	w.send(0, 1, 1, 10)
	w.run(ms(5))
	require.NoError(t, w.s.PowerLoss(1))
	require.NoError(t, w.s.Restart(1))
	w.send(1, 0, 2, 10)
	w.run(ms(50))
	assert.Equal(t, []int{2}, w.recvs(0))
	require.Len(t, w.disconnects(0), 1, "n0's old connection is replaced")
	assert.Less(t, w.disconnects(0)[0].At, w.m(0).own[len(w.m(0).own)-1].At)
}

func (r *rec) recvsOwn() []int {
	var out []int
	for _, g := range r.own {
		if g.Ev.Kind == node.Recv {
			out = append(out, g.Ev.Msg.(*msg).Seq)
		}
	}
	return out
}

func TestHealNetworkEndsEveryFault(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}
	w := newWorld(t, cfg, 3, NodeConfig{})
	_, err := w.s.PartitionOneWay([]node.ID{0}, []node.ID{1})
	require.NoError(t, err)
	require.NoError(t, w.s.Clog(2, 0))
	require.NoError(t, w.s.AddLatency(1, 2, time.Second))
	w.send(0, 1, 1, 1)
	w.send(2, 0, 2, 1)
	w.run(ms(100))
	assert.Empty(t, w.recvs(1))
	assert.Empty(t, w.recvs(0))
	w.s.HealNetwork()
	w.send(1, 2, 3, 1)
	w.run(ms(200))
	assert.Equal(t, []int{1}, w.recvs(1))
	assert.Equal(t, []int{2}, w.recvs(0))
	assert.Equal(t, []int{3}, w.recvs(2))
	assert.Equal(t, ms(101), w.m(2).own[0].At, "added latency removed")
}

func TestInboundNICQueuesMessagesFromAllSenders(t *testing.T) {
	s, err := New(Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}})
	require.NoError(t, err)
	var log []got
	mk := func() node.Machine { return &rec{log: &log} }
	a, _ := s.AddNode("a", NodeConfig{}, mk)
	b, _ := s.AddNode("b", NodeConfig{}, mk)
	c, _ := s.AddNode("c", NodeConfig{NICBandwidth: 1_000_000}, mk) // 10ms per 10KB
	require.NoError(t, s.Start())
	for _, from := range []node.ID{a, b} {
		require.NoError(t, s.Post(from, func() { s.Env(from).Send(c, &msg{Seq: int(from), Bytes: 10_000}) }))
	}
	require.NoError(t, s.Run(time.Second))
	require.Len(t, log, 2)
	assert.Equal(t, ms(11), log[0].At, "latency, then 10ms through the receiving NIC")
	assert.Equal(t, ms(21), log[1].At, "the second waits for the receiving NIC")
}

func TestCutPairsMajoritiesRing(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}
	w := newWorld(t, cfg, 5, NodeConfig{})
	// Ring 0-1-2-3-4-0: each node keeps its two neighbours and itself, a majority.
	var pairs [][2]node.ID
	for i := node.ID(0); i < 5; i++ {
		pairs = append(pairs, [2]node.ID{i, (i + 2) % 5})
	}
	pid, err := w.s.CutPairs(pairs...)
	require.NoError(t, err)
	for to := node.ID(1); to < 5; to++ {
		w.send(0, to, int(to), 1)
	}
	w.run(ms(10))
	got := map[node.ID]bool{}
	for _, g := range w.log {
		if g.Ev.Kind == node.Recv {
			got[g.Node] = true
		}
	}
	assert.Equal(t, map[node.ID]bool{1: true, 4: true}, got)
	require.NoError(t, w.s.Heal(pid))
	w.send(0, 2, 9, 1)
	w.run(ms(20))
	assert.Equal(t, []int{9}, w.recvs(2))
	_, err = w.s.CutPairs([2]node.ID{0, 0})
	assert.Error(t, err)
}

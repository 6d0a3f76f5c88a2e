package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

// busy makes node i's Machine charge work per message and echo it back.
func busy(w *world, i node.ID, work time.Duration) {
	w.m(i).onEvent = func(r *rec, ev node.Event) {
		if ev.Kind == node.Recv {
			r.env.Charge(work)
			r.env.Send(ev.From, ev.Msg)
		}
	}
}

func replyTimes(w *world, id node.ID) []time.Duration {
	var at []time.Duration
	for _, g := range w.m(id).own {
		if g.Ev.Kind == node.Recv {
			at = append(at, g.At)
		}
	}
	return at
}

func TestCPUQueueingOneCore(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 2, NodeConfig{})
	busy(w, 1, ms(10))
	w.do(0, func(env node.Env) {
		for i := 1; i <= 4; i++ {
			env.Send(1, &msg{Seq: i, Bytes: 1})
		}
	})
	w.run(time.Second)
	// All four arrive at 0; one core handles them back to back and each reply
	// leaves when its work is done.
	assert.Equal(t, []time.Duration{ms(10), ms(20), ms(30), ms(40)}, replyTimes(w, 0))
	var handled []time.Duration
	for _, g := range w.m(1).own {
		handled = append(handled, g.At)
	}
	assert.Equal(t, []time.Duration{0, ms(10), ms(20), ms(30)}, handled, "later events queue behind the busy core")
	st, _ := w.s.Stats(1)
	assert.Equal(t, ms(40), st.CPUBusy)
	assert.Equal(t, []time.Duration{ms(40)}, st.CoreBusy)
}

func TestCPUQueueingTwoCores(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 2, NodeConfig{Cores: 2})
	busy(w, 1, ms(10))
	w.do(0, func(env node.Env) {
		for i := 1; i <= 4; i++ {
			env.Send(1, &msg{Seq: i, Bytes: 1})
		}
	})
	w.run(time.Second)
	assert.Equal(t, []time.Duration{ms(10), ms(10), ms(20), ms(20)}, replyTimes(w, 0))
	assert.Equal(t, []int{1, 2, 3, 4}, w.recvs(0))
	st, _ := w.s.Stats(1)
	assert.Equal(t, []time.Duration{ms(20), ms(20)}, st.CoreBusy)
}

func TestSendsLeaveInIssueOrderAcrossCores(t *testing.T) {
	// Two cores: the first message costs 11ms of work, the second 2ms. The second
	// handler finishes first, but its reply may not overtake the first on the
	// connection: a connection is one ordered stream.
	w := newWorld(t, Config{Seed: 1}, 2, NodeConfig{Cores: 2})
	w.m(1).onEvent = func(r *rec, ev node.Event) {
		if ev.Kind == node.Recv {
			work := ms(11) // message 1 is slow
			if ev.Msg.(*msg).Seq == 2 {
				work = ms(2)
			}
			r.env.Charge(work)
			r.env.Send(ev.From, ev.Msg)
		}
	}
	w.do(0, func(env node.Env) {
		env.Send(1, &msg{Seq: 1, Bytes: 1})
		env.Send(1, &msg{Seq: 2, Bytes: 1})
	})
	w.run(time.Second)
	assert.Equal(t, []int{1, 2}, w.recvs(0), "replies in the order they were issued")
	assert.Equal(t, []time.Duration{ms(11), ms(11)}, replyTimes(w, 0), "the quick reply waits for the slow one")
}

func TestChargeShiftsTimersDiskAndNow(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{Disk: DiskProfile{OpLatency: ConstantLatency(ms(1))}})
	var nowAfter time.Duration
	w.do(0, func(env node.Env) {
		env.Charge(ms(5))
		nowAfter = env.Now()
		env.After(ms(2), node.Timer{Arg: 1})
		env.Disk().Append("a", entry(1, 1))
		env.Charge(-ms(3)) // ignored
	})
	w.run(time.Second)
	assert.Equal(t, ms(5), nowAfter)
	require.Len(t, w.m(0).own, 2)
	assert.Equal(t, ms(6), w.m(0).own[0].At, "disk op starts after the work")
	assert.Equal(t, ms(7), w.m(0).own[1].At, "timer starts after the work")
}

func TestPauseHoldsEverythingUntilResume(t *testing.T) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}
	w := newWorld(t, cfg, 2, NodeConfig{Disk: DiskProfile{OpLatency: ConstantLatency(ms(0.5))}})
	w.do(1, func(env node.Env) {
		env.After(ms(5), node.Timer{Arg: 1})
		env.Disk().Append("a", entry(1, 1))
	})
	require.NoError(t, w.s.Pause(1))
	w.send(0, 1, 1, 10)
	w.send(0, 1, 2, 10)
	w.run(time.Second)
	assert.Empty(t, w.m(1).own)
	up, paused := w.s.State(1)
	assert.True(t, up)
	assert.True(t, paused)
	assert.Error(t, w.s.Pause(1))
	require.NoError(t, w.s.Resume(1))
	w.run(2 * time.Second)
	var kinds []node.EventKind
	for _, g := range w.m(1).own {
		kinds = append(kinds, g.Ev.Kind)
		assert.Equal(t, time.Second, g.At)
	}
	// Arrival order: the disk completion (0.5ms), the messages (1ms), the timer (5ms).
	assert.Equal(t, []node.EventKind{node.DiskDone, node.Recv, node.Recv, node.TimerFired}, kinds)
	assert.Error(t, w.s.Resume(1))
}

func TestCancelWhileWaitingInTheBacklog(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	var id node.TimerID
	w.do(0, func(env node.Env) {
		env.Charge(ms(10)) // the only core is busy until 10ms
		id = env.After(-ms(5), node.Timer{Arg: 1})
		env.After(0, node.Timer{Arg: 2})
	})
	w.run(ms(2))
	// Queued behind the busy core, ahead of the timers that expire at 10ms.
	w.s.At(ms(3), func() { require.NoError(t, w.s.Post(0, func() { w.s.Env(0).Cancel(id) })) })
	w.run(ms(20))
	var args []int64
	for _, g := range w.m(0).own {
		args = append(args, g.Ev.Timer.Arg)
		assert.Equal(t, ms(10), g.At)
	}
	assert.Equal(t, []int64{2}, args, "the expired timer was cancelled while it waited")
}

func TestCrashDropsMemoryAndTimers(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	old := w.m(0)
	w.do(0, func(env node.Env) { env.After(ms(5), node.Timer{Arg: 1}) })
	require.NoError(t, w.s.Crash(0))
	assert.Nil(t, w.s.Machine(0))
	up, _ := w.s.State(0)
	assert.False(t, up)
	assert.Error(t, w.s.Crash(0))
	w.run(ms(10))
	require.NoError(t, w.s.Restart(0))
	assert.NotSame(t, old, w.m(0))
	assert.Equal(t, 1, w.m(0).restarts)
	w.run(ms(20))
	assert.Empty(t, w.m(0).own, "the old incarnation's timer is gone")
	assert.Error(t, w.s.Restart(0))
	st, _ := w.s.Stats(0)
	assert.Equal(t, int64(1), st.Crashes)
	assert.Equal(t, int64(1), st.Restarts)
}

func TestClockSkewAffectsOnlyNow(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 2, NodeConfig{})
	w.run(time.Second)
	require.NoError(t, w.s.SkewClock(1, 500*time.Millisecond, 0.01))
	var now0, now1 time.Duration
	w.do(1, func(env node.Env) { env.After(time.Second, node.Timer{Arg: 1}) })
	w.run(3 * time.Second)
	w.do(0, func(env node.Env) { now0 = env.Now() })
	w.do(1, func(env node.Env) { now1 = env.Now() })
	assert.Equal(t, 3*time.Second, now0)
	// 1s + 0.5s jump + 2s at 1.01.
	assert.Equal(t, 3*time.Second+520*time.Millisecond, now1)
	assert.Equal(t, 2*time.Second, w.m(1).own[0].At, "timers fire in kernel time")
	require.NoError(t, w.s.SkewClock(1, -4*time.Second, 0))
	w.do(1, func(env node.Env) { now1 = env.Now() })
	assert.Equal(t, -480*time.Millisecond, now1, "a clock can be set back")
	assert.Error(t, w.s.SkewClock(1, 0, -1))
	assert.Error(t, w.s.SkewClock(5, 0, 0))
}

func TestNodeRegistry(t *testing.T) {
	s, err := New(Config{Seed: 1})
	require.NoError(t, err)
	mk := func() node.Machine { return &rec{} }
	a, err := s.AddNode("a", NodeConfig{}, mk)
	require.NoError(t, err)
	b, err := s.AddNodeWithID(7, "b", NodeConfig{}, mk)
	require.NoError(t, err)
	c, err := s.AddNode("c", NodeConfig{}, mk)
	require.NoError(t, err)
	assert.Equal(t, []node.ID{0, 7, 8}, []node.ID{a, b, c})
	assert.Equal(t, []node.ID{0, 7, 8}, s.NodeIDs())
	id, err := s.Lookup("b")
	require.NoError(t, err)
	assert.Equal(t, b, id)
	_, err = s.Lookup("zz")
	assert.ErrorContains(t, err, `unknown node "zz"; known: a, b, c`)
	assert.Equal(t, "c", s.Name(c))
	_, err = s.AddNode("a", NodeConfig{}, mk)
	assert.ErrorContains(t, err, "already taken")
	_, err = s.AddNodeWithID(7, "d", NodeConfig{}, mk)
	assert.ErrorContains(t, err, `already "b"`)
	_, err = s.AddNode("bad name", NodeConfig{}, mk)
	assert.Error(t, err)
	_, err = s.AddNode("e", NodeConfig{Cores: -1}, mk)
	assert.ErrorContains(t, err, "nodes.e.cores")
	assert.Nil(t, s.Machine(a), "not started")
	require.NoError(t, s.Start())
	assert.NotNil(t, s.Machine(a))
	assert.Error(t, s.StartNode(a))
	d, err := s.AddNode("d", NodeConfig{}, mk)
	require.NoError(t, err)
	require.NoError(t, s.StartNode(d))
	assert.Len(t, s.AllStats(), 4)
	assert.Equal(t, 4, s.TotalStats().Cores)
}

func TestSendToUnknownNodeFailsTheRun(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	require.NoError(t, w.s.Post(0, func() { w.s.Env(0).Send(42, &msg{}) }))
	err := w.s.Run(time.Second)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Contains(t, f.Value, "Send Msg to unknown node 42")
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Network: NetworkConfig{Latency: ConstantLatency(-ms(1))}}, "network.latency.value: -1ms is negative"},
		{Config{Network: NetworkConfig{Latency: UniformLatency(ms(2), ms(1))}}, "network.latency.max: 1ms is below min 2ms"},
		{Config{Network: NetworkConfig{Latency: Latency{Kind: "normal"}}}, `network.latency.kind: unknown distribution "normal"; accepted: constant, uniform, exponential, mixture`},
		{Config{Network: NetworkConfig{Latency: Latency{Kind: Mixture, SlowProbability: 1.5}}}, "network.latency.slow-probability: 1.5 is not a probability; accepted: a number in [0, 1]"},
		{Config{Network: NetworkConfig{Latency: Latency{Kind: Mixture, Min: 1, Max: 5, SlowMax: 2}}}, "network.latency.slow-max"},
		{Config{Network: NetworkConfig{Latency: Latency{Kind: Exponential, Min: 5, Max: 2}}}, "network.latency.max: cap"},
		{Config{Network: NetworkConfig{Bandwidth: -1}}, "network.bandwidth: -1 is negative"},
		{Config{Network: NetworkConfig{ConnectTimeout: -1}}, "network.connect-timeout"},
		{Config{Network: NetworkConfig{StallTimeout: -1}}, "network.stall-timeout"},
	}
	for _, c := range cases {
		_, err := New(c.cfg)
		assert.ErrorContains(t, err, c.want)
	}
	ncases := []struct {
		cfg  NodeConfig
		want string
	}{
		{NodeConfig{Cores: 5000}, "n.cores: 5000 is out of range"},
		{NodeConfig{NICBandwidth: -5}, "n.nic-bandwidth"},
		{NodeConfig{Disk: DiskProfile{TornWriteProbability: -0.1}}, "n.disk.torn-write-probability: -0.1 is not a probability"},
		{NodeConfig{Disk: DiskProfile{SyncLatency: ConstantLatency(-1)}}, "n.disk.sync-latency.value"},
		{NodeConfig{Disk: DiskProfile{OpLatency: UniformLatency(-1, 0)}}, "n.disk.op-latency.min"},
		{NodeConfig{Disk: DiskProfile{Capacity: -1}}, "n.disk.capacity"},
		{NodeConfig{Disk: DiskProfile{Bandwidth: -1}}, "n.disk.bandwidth"},
	}
	for _, c := range ncases {
		assert.ErrorContains(t, c.cfg.Validate("n"), c.want)
	}
	assert.NoError(t, DefaultNetworkConfig().Validate("network"))
	assert.NoError(t, NodeConfig{Disk: DefaultDiskProfile()}.Validate("n"))
}

func TestStreamsAreIndependentByName(t *testing.T) {
	a := NewStreams(7)
	x1 := a.Get("network").Uint64()
	b := NewStreams(7)
	b.Get("node/extra").Uint64() // another stream drawn first
	assert.Equal(t, x1, b.Get("network").Uint64())
	assert.NotEqual(t, x1, NewStreams(8).Get("network").Uint64())
	assert.NotEqual(t, x1, a.Get("faults").Uint64())
	assert.Same(t, a.Get("network"), a.Get("network"))
}

func TestHugeTimerDelaysSaturate(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	w.do(0, func(env node.Env) {
		env.After(time.Duration(1<<63-1), node.Timer{Arg: 1})
		env.After(ms(1), node.Timer{Arg: 2})
	})
	w.run(time.Hour)
	require.Len(t, w.m(0).own, 1)
	assert.Equal(t, int64(2), w.m(0).own[0].Ev.Timer.Arg)
}

func TestCPUUtilization(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 2, NodeConfig{Cores: 4})
	busy(w, 1, ms(100))
	w.send(0, 1, 1, 1)
	w.run(time.Second)
	st, err := w.s.Stats(1)
	require.NoError(t, err)
	assert.InDelta(t, 0.025, st.CPUUtilization(time.Second), 1e-9)
	assert.Zero(t, st.CPUUtilization(0))
}

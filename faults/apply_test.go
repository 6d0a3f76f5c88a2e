package faults

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
	"logsim/sim"
)

// ping is a message between test machines.
type ping struct{}

func (ping) Kind() string { return "Ping" }
func (ping) Size() int    { return 10 }

// counter counts the messages it receives and keeps its env.
type counter struct {
	env  node.Env
	recv map[node.ID]int
}

func (c *counter) Start(env node.Env, restart bool) { c.env, c.recv = env, map[node.ID]int{} }
func (c *counter) Handle(ev node.Event) {
	if ev.Kind == node.Recv {
		c.recv[ev.From]++
	}
}

// recHooks records what the applier reports.
type recHooks struct {
	events  []string
	windows []string
	slow    map[node.ID]time.Duration
	stall   map[node.ID]time.Duration
}

func (h *recHooks) FaultEvent(name, action, detail string) {
	h.events = append(h.events, name+" "+action+" "+detail)
}
func (h *recHooks) FaultWindow(name, target string, start, stop time.Duration) {
	h.windows = append(h.windows, fmt.Sprintf("%s [%v,%v)", name, start, stop))
}
func (h *recHooks) SlowConsumer(id node.ID, extra time.Duration)  { h.slow[id] = extra }
func (h *recHooks) StallConsumer(id node.ID, until time.Duration) { h.stall[id] = until }

// applyWorld is a simulation with the nodes of fakeCluster: brokers 0-2, controller
// 100, producer instances 200 and 201, consumer 300.
func applyWorld(t *testing.T) (*sim.Sim, map[node.ID]*counter, *recHooks, *Applier) {
	s, err := sim.New(sim.Config{Seed: 1, Network: sim.NetworkConfig{Latency: sim.ConstantLatency(time.Millisecond)}})
	require.NoError(t, err)
	ms := map[node.ID]*counter{}
	for _, id := range []node.ID{0, 1, 2, 100, 200, 201, 300} {
		_, err := s.AddNodeWithID(id, fmt.Sprintf("n%d", id), sim.NodeConfig{}, func() node.Machine {
			c := &counter{}
			ms[id] = c
			return c
		})
		require.NoError(t, err)
	}
	require.NoError(t, s.Start())
	h := &recHooks{slow: map[node.ID]time.Duration{}, stall: map[node.ID]time.Duration{}}
	a := NewApplier(s, fakeCluster{brokers: 3, leader: 1}, h, rand.New(rand.NewPCG(1, 2)))
	return s, ms, h, a
}

// send makes from send a ping to to and runs 100ms.
func send(t *testing.T, s *sim.Sim, ms map[node.ID]*counter, from, to node.ID) {
	require.NoError(t, s.Post(from, func() { ms[from].env.Send(to, ping{}) }))
	require.NoError(t, s.RunFor(100*time.Millisecond))
}

func TestApplyPartitionIsolatesTheLeaderUntilTheStop(t *testing.T) {
	s, ms, h, a := applyWorld(t)
	specs := []Spec{{Name: "cut", Kind: Partition, At: time.Second, For: 2 * time.Second, Isolate: Selectors{{Kind: SelLeader, Topic: "orders", Partition: 0}}}}
	a.Schedule(Timeline(specs, 10*time.Second, rand.New(rand.NewPCG(1, 1))), 0)
	require.NoError(t, s.Run(1500*time.Millisecond))
	send(t, s, ms, 0, 1)
	send(t, s, ms, 200, 1)
	assert.Zero(t, ms[1].recv[0], "broker 0 reached the isolated leader")
	assert.Equal(t, 1, ms[1].recv[200], "clients stay connected to both sides by default")
	require.NoError(t, s.Run(3500*time.Millisecond))
	send(t, s, ms, 0, 1)
	assert.Positive(t, ms[1].recv[0], "the partition healed at its stop")
	require.Len(t, h.events, 2)
	assert.Equal(t, "cut start partition: n1 | n0,n2,n100", h.events[0])
	assert.Equal(t, "cut stop partition: n1 | n0,n2,n100", h.events[1])
	assert.Equal(t, []string{"cut [1s,3s)"}, h.windows)
}

func TestApplyCrashPauseAndRestart(t *testing.T) {
	s, _, h, a := applyWorld(t)
	specs := []Spec{
		{Name: "crash", Kind: Crash, At: time.Second, For: time.Second, Target: Selectors{{Kind: SelBroker, Broker: 2}}, PowerLoss: true},
		{Name: "gc", Kind: Pause, At: time.Second, For: 2 * time.Second, Target: Selectors{{Kind: SelController}}},
		{Name: "stop-p", Kind: StopClient, At: time.Second, For: time.Second, Target: Selectors{{Kind: SelClient, Client: "p", Instance: 1}}},
	}
	a.Schedule(Timeline(specs, 10*time.Second, rand.New(rand.NewPCG(1, 1))), 0)
	require.NoError(t, s.Run(1500*time.Millisecond))
	up, _ := s.State(2)
	assert.False(t, up)
	_, paused := s.State(100)
	assert.True(t, paused)
	up, _ = s.State(201)
	assert.False(t, up)
	up, _ = s.State(200)
	assert.True(t, up, "only instance 1 of p stops")
	require.NoError(t, s.Run(3500*time.Millisecond))
	for _, id := range []node.ID{2, 100, 201} {
		up, paused := s.State(id)
		assert.True(t, up && !paused, "node %d runs again", id)
	}
	st, err := s.Stats(2)
	require.NoError(t, err)
	assert.EqualValues(t, 1, st.PowerLosses)
	assert.Contains(t, h.events[0], "(power loss)")
}

func TestApplyClockSkewIsSetRightAtTheStop(t *testing.T) {
	s, ms, _, a := applyWorld(t)
	specs := []Spec{{Name: "skew", Kind: ClockSkew, At: time.Second, For: time.Second, Target: Selectors{{Kind: SelBroker, Broker: 0}}, Jump: 5 * time.Second, Drift: 0.5}}
	a.Schedule(Timeline(specs, 10*time.Second, rand.New(rand.NewPCG(1, 1))), 0)
	require.NoError(t, s.Run(1500*time.Millisecond))
	assert.Equal(t, s.Now()+5*time.Second+250*time.Millisecond, ms[0].env.Now())
	require.NoError(t, s.Run(2500*time.Millisecond))
	assert.Equal(t, s.Now(), ms[0].env.Now())
}

func TestApplyConsumerFaultsUseTheHooks(t *testing.T) {
	s, _, h, a := applyWorld(t)
	specs := []Spec{
		{Name: "slow", Kind: SlowConsumer, At: time.Second, For: time.Second, Target: Selectors{{Kind: SelClient, Client: "c", Instance: -1}}, Processing: 5 * time.Millisecond},
		{Name: "stall", Kind: StallConsumer, At: time.Second, For: 3 * time.Second, Target: Selectors{{Kind: SelClient, Client: "c", Instance: -1}}},
	}
	a.Schedule(Timeline(specs, 10*time.Second, rand.New(rand.NewPCG(1, 1))), 0)
	require.NoError(t, s.Run(1500*time.Millisecond))
	assert.Equal(t, 5*time.Millisecond, h.slow[300])
	assert.Equal(t, 4*time.Second, h.stall[300], "the stall lasts until the fault's planned stop")
	require.NoError(t, s.Run(5*time.Second))
	assert.Zero(t, h.slow[300])
	assert.Zero(t, h.stall[300])
}

func TestApplyLinksAndStopAll(t *testing.T) {
	s, ms, h, a := applyWorld(t)
	specs := []Spec{{Name: "clog", Kind: Clog, At: time.Second, Target: Selectors{{Kind: SelBroker, Broker: 0}}}}
	a.Schedule(Timeline(specs, 10*time.Second, rand.New(rand.NewPCG(1, 1))), 0)
	require.NoError(t, s.Run(1500*time.Millisecond))
	send(t, s, ms, 0, 1)
	assert.Zero(t, ms[1].recv[0], "the clogged link holds the message")
	a.StopAll()
	require.NoError(t, s.RunFor(100*time.Millisecond))
	assert.Equal(t, 1, ms[1].recv[0], "unclogging delivers what was held")
	assert.Len(t, h.windows, 1)
	// The scheduled stop at the end of the load phase finds nothing left to stop.
	require.NoError(t, s.Run(11*time.Second))
	assert.Len(t, h.events, 2)
}

func TestSupportedNamesWhatIsMissing(t *testing.T) {
	assert.NoError(t, Supported(&Spec{Kind: DiskError, Probability: 0.1}))
	err := Supported(&Spec{Kind: DiskError, Probability: 0.1, Files: "*.log"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not supported yet")
}

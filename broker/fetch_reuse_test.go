package broker_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker"
	"logsim/broker/client"
	"logsim/broker/controller"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/sim"
)

// Fetch memory goes round between a leader and its followers and consumers
// (FetchResponse.Spare, FetchRequest.Spare). This test watches every fetch message of
// the brokers and of a consumer group under load, a crash and a partition, and checks the ownership rules that reuse relies on:
// a message is unchanged from its send until its receiver hands it back, it is handed
// back only by the node that received it to the node that sent it, it is sent again
// only after it came back, and its cached Size is that of its present contents. It also checks that memory is in fact reused, so
// that the rules are exercised.
func TestFetchMemoryIsNeverSharedWhileHeld(t *testing.T) {
	spy := &fetchSpy{t: t, msgs: map[any]*fetchMsg{}}
	s, err := sim.New(sim.Config{Seed: 7, Network: sim.NetworkConfig{Latency: sim.ConstantLatency(time.Millisecond)}})
	require.NoError(t, err)
	const ctl = node.ID(100)
	_, err = s.AddNodeWithID(ctl, "controller", sim.NodeConfig{}, func() node.Machine { return controller.New(controller.DefaultConfig()) })
	require.NoError(t, err)
	bcfg := broker.DefaultConfig()
	bcfg.Controller = ctl
	bcfg.Group.OffsetsTopicNumPartitions = 1
	var brokers []node.ID
	for i := 1; i <= 3; i++ {
		id := node.ID(i)
		_, err := s.AddNodeWithID(id, fmt.Sprintf("b%d", i), sim.NodeConfig{Cores: 2}, func() node.Machine {
			return &spied{Machine: broker.New(bcfg), id: id, spy: spy}
		})
		require.NoError(t, err)
		brokers = append(brokers, id)
	}
	pcfg := client.DefaultProducerConfig(brokers...)
	pcfg.Linger = 2 * time.Millisecond
	load := &topicThenLoad{ctl: ctl, lc: loadClient{cfg: pcfg, window: 200}}
	_, err = s.AddNodeWithID(500, "load", sim.NodeConfig{Cores: 1}, func() node.Machine { return load })
	require.NoError(t, err)
	progress := &consumeProgress{next: make([]int64, 4), end: make([]int64, 4)}
	for i := range 2 {
		id := node.ID(600 + i)
		cc := client.DefaultConsumerConfig("spied-group", brokers...)
		cc.ClientID = fmt.Sprintf("consumer-%d", i)
		cc.AutoOffsetReset = client.ResetEarliest
		_, err = s.AddNodeWithID(id, cc.ClientID, sim.NodeConfig{Cores: 1}, func() node.Machine {
			return &spied{Machine: &consumeClient{cc: cc, progress: progress}, id: id, spy: spy}
		})
		require.NoError(t, err)
	}
	require.NoError(t, s.Start())

	require.NoError(t, s.RunFor(5*time.Second))
	require.True(t, load.created, "the topic was created")
	require.NoError(t, s.Crash(2))
	require.NoError(t, s.RunFor(time.Second))
	require.NoError(t, s.Restart(2))
	require.NoError(t, s.RunFor(3*time.Second))
	part, err := s.Partition([]node.ID{3}, []node.ID{1, 2, ctl, 500})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(2*time.Second))
	require.NoError(t, s.Heal(part))
	require.NoError(t, s.RunFor(3*time.Second))

	assert.Positive(t, load.lc.acked, "records were acknowledged")
	assert.Positive(t, progress.processed, "records were consumed")
	assert.Positive(t, spy.reused[respKind], "responses were reused")
	assert.Positive(t, spy.reused[reqKind], "requests were reused")
	assert.Positive(t, spy.reused[consumerKind+reqKind], "consumers' requests were reused")
	assert.Positive(t, spy.reused[consumerKind+respKind], "responses to consumers were reused")
}

// consumerKind prefixes the kinds of the reuses of consumers' fetch memory in
// fetchSpy.reused.
const consumerKind = "consumer "

// spied is a node (broker or client) whose fetch messages the spy sees.
type spied struct {
	node.Machine
	id  node.ID
	spy *fetchSpy
}

func (c *spied) Start(env node.Env, restart bool) {
	c.Machine.Start(spiedEnv{Env: env, spy: c.spy}, restart)
}

func (c *spied) Handle(ev node.Event) {
	if ev.Kind == node.Recv {
		c.spy.delivered(ev.From, c.id, ev.Msg)
	}
	c.Machine.Handle(ev)
}

const (
	reqKind  = "FetchRequest"
	respKind = "FetchResponse"
)

// fetchMsg is what the spy knows of one fetch message's memory.
type fetchMsg struct {
	from, to node.ID
	corr     int64
	size     int
	parts    any // a copy of Partitions as sent
	// received is set from its delivery until it is handed back.
	received bool
	// back is set once the receiver handed it back to the sender, free for reuse.
	back bool
}

type fetchSpy struct {
	t      *testing.T
	msgs   map[any]*fetchMsg
	reused map[string]int
}

// partsOf copies a fetch message's partitions (the batch pointers, not the batches).
func partsOf(m node.Message) (int64, any) {
	switch m := m.(type) {
	case *proto.FetchRequest:
		return m.Correlation, slices.Clone(m.Partitions)
	case *proto.FetchResponse:
		ps := slices.Clone(m.Partitions)
		for i := range ps {
			ps[i].Batches = slices.Clone(ps[i].Batches)
		}
		return m.Correlation, ps
	}
	return 0, nil
}

// unchanged reports an error if m differs from what was sent.
func (s *fetchSpy) unchanged(m node.Message, e *fetchMsg, when string) {
	corr, parts := partsOf(m)
	if corr != e.corr || !assert.ObjectsAreEqual(e.parts, parts) {
		s.t.Errorf("%s %d from %d to %d changed %s", m.Kind(), e.corr, e.from, e.to, when)
	}
}

// handBack records that holder returns m's memory to its sender.
func (s *fetchSpy) handBack(holder, to node.ID, m node.Message) {
	e := s.msgs[m]
	switch {
	case e == nil:
		s.t.Errorf("%d hands back a %s nobody sent", holder, m.Kind())
	case e.to != holder || e.from != to || !e.received || e.back:
		s.t.Errorf("%d hands %s %d back to %d, but it went from %d to %d (received %v, back %v)",
			holder, m.Kind(), e.corr, to, e.from, e.to, e.received, e.back)
	default:
		s.unchanged(m, e, "while its receiver held it")
		e.received, e.back = false, true
	}
}

// sent is called as from sends m to to.
func (s *fetchSpy) sent(from, to node.ID, m node.Message) {
	switch m := m.(type) {
	case *proto.FetchRequest:
		if m.Spare != nil {
			s.handBack(from, to, m.Spare)
		}
	case *proto.FetchResponse:
		if m.Spare != nil {
			s.handBack(from, to, m.Spare)
		}
	default:
		return
	}
	if e := s.msgs[m]; e != nil {
		if !e.back {
			s.t.Errorf("%d sends the memory of %s %d again before %d handed it back", from, m.Kind(), e.corr, e.to)
		}
		if s.reused == nil {
			s.reused = map[string]int{}
		}
		s.reused[m.Kind()]++
		if from >= 600 || to >= 600 { // a consumer's request, or a response to one
			s.reused[consumerKind+m.Kind()]++
		}
	}
	corr, parts := partsOf(m)
	if size := freshSize(m); m.Size() != size {
		s.t.Errorf("%d sends %s %d with size %d, computed afresh %d", from, m.Kind(), corr, m.Size(), size)
	}
	s.msgs[m] = &fetchMsg{from: from, to: to, corr: corr, size: m.Size(), parts: parts}
}

// freshSize is m's Size computed on a new message, without the cached value.
func freshSize(m node.Message) int {
	switch m := m.(type) {
	case *proto.FetchRequest:
		return (&proto.FetchRequest{Partitions: m.Partitions}).Size()
	case *proto.FetchResponse:
		return (&proto.FetchResponse{Partitions: m.Partitions}).Size()
	}
	return m.Size()
}

// delivered is called as to receives m from from.
func (s *fetchSpy) delivered(from, to node.ID, m node.Message) {
	e := s.msgs[m]
	if e == nil {
		if _, ok := m.(*proto.FetchRequest); ok {
			s.t.Errorf("%d received a FetchRequest from %d that nobody sent", to, from)
		}
		return
	}
	if e.from != from || e.to != to || e.received || e.back {
		s.t.Errorf("%s %d delivered from %d to %d, but it was sent from %d to %d", m.Kind(), e.corr, from, to, e.from, e.to)
	}
	s.unchanged(m, e, "in flight")
	if m.Size() != e.size {
		s.t.Errorf("%s %d: size %d at delivery, %d at send", m.Kind(), e.corr, m.Size(), e.size)
	}
	e.received = true
}

type spiedEnv struct {
	node.Env
	spy *fetchSpy
}

func (e spiedEnv) Send(to node.ID, m node.Message) {
	e.spy.sent(e.ID(), to, m)
	e.Env.Send(to, m)
}

// topicThenLoad creates the topic "bench" (4 partitions, replication factor 3) and
// then runs a loadClient on it.
type topicThenLoad struct {
	ctl     node.ID
	lc      loadClient
	env     node.Env
	created bool
}

const (
	timerCreateTopic int32 = 1000 + iota
	timerStartLoad
)

func (c *topicThenLoad) Start(env node.Env, restart bool) {
	c.env = env
	env.After(time.Second, node.Timer{Kind: timerCreateTopic})
}

func (c *topicThenLoad) Handle(ev node.Event) {
	if c.lc.p != nil {
		c.lc.Handle(ev)
		return
	}
	switch {
	case ev.Kind == node.TimerFired && ev.Timer.Kind == timerCreateTopic:
		c.env.Send(c.ctl, &proto.CreateTopicsRequest{Correlation: 1, Topics: []proto.CreatableTopic{
			{Name: "bench", NumPartitions: 4, ReplicationFactor: 3, Configs: map[string]string{}}}})
	case ev.Kind == node.Recv:
		if r, ok := ev.Msg.(*proto.CreateTopicsResponse); ok {
			if r.Topics[0].Err != proto.NONE {
				// Brokers still registering: ask again.
				c.env.After(100*time.Millisecond, node.Timer{Kind: timerCreateTopic})
				return
			}
			c.created = true
			c.env.After(time.Second, node.Timer{Kind: timerStartLoad})
		}
	case ev.Kind == node.TimerFired && ev.Timer.Kind == timerStartLoad:
		c.lc.Start(c.env, false)
	}
}

// readFetch sets a FetchPartitionResponse field by field: a field added to it must be
// set there too.
func TestFetchPartitionResponseFields(t *testing.T) {
	var names []string
	ty := reflect.TypeFor[proto.FetchPartitionResponse]()
	for i := range ty.NumField() {
		names = append(names, ty.Field(i).Name)
	}
	assert.Equal(t, []string{"TopicPartition", "Err", "HighWatermark", "LogStartOffset", "LogEndOffset", "DivergingEpoch", "Batches"}, names,
		"readFetch (fetch.go) sets each field of a FetchPartitionResponse")
}

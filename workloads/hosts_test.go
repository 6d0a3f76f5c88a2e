package workloads

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker"
	"logsim/broker/client"
	"logsim/broker/controller"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/checker/history"
	"logsim/sim"
)

// fakeMetrics counts what the hosts report.
type fakeMetrics struct {
	sent, acked, failed, consumed int
	intended                      []time.Duration
	late                          int
}

func (m *fakeMetrics) PublishSent(t, intended time.Duration, bytes int) {
	m.sent++
	if len(m.intended) < 10 {
		m.intended = append(m.intended, intended)
	}
	if intended > t {
		m.late++ // an intended time in the future would be a bug
	}
}
func (m *fakeMetrics) PublishAcked(t, sent time.Duration, bytes int)  { m.acked++ }
func (m *fakeMetrics) PublishFailed(t, sent time.Duration, bytes int) { m.failed++ }
func (m *fakeMetrics) Consumed(t time.Duration, group string, sent time.Duration, bytes int) {
	m.consumed++
}

// testCluster is a controller, three brokers (ids 0-2) and topic orders with two
// partitions, ready.
type testCluster struct {
	sim     *sim.Sim
	buf     bytes.Buffer
	w       *history.Writer
	h       *History
	brokers []node.ID
	next    node.ID
}

const testController node.ID = 100

func newTestCluster(t *testing.T) *testCluster {
	s, err := sim.New(sim.Config{Seed: 1, Network: sim.NetworkConfig{Latency: sim.ConstantLatency(100 * time.Microsecond)}})
	require.NoError(t, err)
	c := &testCluster{sim: s, next: 200}
	c.w = history.NewWriter(&c.buf)
	c.h = NewHistory(c.w, s.Now)
	_, err = s.AddNodeWithID(testController, "controller", sim.NodeConfig{}, func() node.Machine { return controller.New(controller.DefaultConfig()) })
	require.NoError(t, err)
	bcfg := broker.DefaultConfig()
	bcfg.Controller = testController
	for i := 0; i < 3; i++ {
		id, err := s.AddNodeWithID(node.ID(i), "broker-"+string(rune('0'+i)), sim.NodeConfig{Cores: 4}, func() node.Machine { return broker.New(bcfg) })
		require.NoError(t, err)
		c.brokers = append(c.brokers, id)
	}
	admin := &Admin{}
	_, err = s.AddNodeWithID(150, "admin", sim.NodeConfig{}, func() node.Machine { return admin })
	require.NoError(t, err)
	require.NoError(t, s.Start())
	require.NoError(t, s.RunFor(5*time.Second))
	req := &proto.CreateTopicsRequest{Correlation: 1, Topics: []proto.CreatableTopic{{Name: "orders", NumPartitions: 2, ReplicationFactor: 3, Configs: map[string]string{}}}}
	require.NoError(t, s.Post(150, func() { admin.Send(testController, req) }))
	require.NoError(t, s.RunFor(3*time.Second))
	require.Len(t, admin.Responses, 1)
	require.Equal(t, proto.NONE, admin.Responses[0].(*proto.CreateTopicsResponse).Topics[0].Err)
	return c
}

func (c *testCluster) producer(t *testing.T, rate Rate, keys *KeyChooser, stop time.Duration, m Metrics) (node.ID, *ProducerSpec) {
	cfg := client.DefaultProducerConfig(c.brokers...)
	spec := &ProducerSpec{Name: "p-0", Config: cfg, Topic: "orders", Partitions: 2, Size: FixedSize(100), Keys: keys,
		Values: NewValueIDs(0, 1), Rand: c.sim.Stream("workload/p-0"), Start: c.sim.Now(), Stop: c.sim.Now() + stop,
		History: c.h, Metrics: m, Now: c.sim.Now}
	if !rate.ClosedLoop() {
		spec.Arrivals = rate.Arrivals(c.sim.Stream("arrivals"), 1)
	}
	id := c.next
	c.next++
	_, err := c.sim.AddNodeWithID(id, "p-0", sim.NodeConfig{}, func() node.Machine { return NewProducerHost(spec) })
	require.NoError(t, err)
	require.NoError(t, c.sim.StartNode(id))
	return id, spec
}

// ops flushes and reads back the history written so far; the reader validates it.
func (c *testCluster) ops(t *testing.T) []history.Op {
	require.NoError(t, c.h.Flush())
	ops, err := history.ReadAll(bytes.NewReader(c.buf.Bytes()), "history")
	require.NoError(t, err)
	return ops
}

func TestOpenLoopProducerSendsOnScheduleAndRecordsPairs(t *testing.T) {
	c := newTestCluster(t)
	m := &fakeMetrics{}
	start := c.sim.Now()
	_, spec := c.producer(t, ConstantRate(1000), nil, 2*time.Second, m)
	require.NoError(t, c.sim.RunFor(5*time.Second))
	assert.InDelta(t, 2000, m.sent, 1, "1000/s for 2s")
	assert.Equal(t, m.sent, m.acked, "a healthy cluster acknowledges every record")
	assert.EqualValues(t, m.sent, spec.Sent())
	assert.Zero(t, m.late)
	// Intended times are the schedule's: 1ms apart from the start.
	require.GreaterOrEqual(t, len(m.intended), 3)
	assert.Equal(t, time.Millisecond, m.intended[2]-m.intended[1])
	assert.GreaterOrEqual(t, m.intended[0], start)
	ops := c.ops(t)
	invokes, oks := 0, 0
	procs := map[int64]bool{}
	values := map[int64]bool{}
	for _, op := range ops {
		if op.F != history.FSend {
			continue
		}
		switch op.Type {
		case history.Invoke:
			invokes++
			v := op.Mops[0].Value.Int()
			assert.False(t, values[v], "value %d sent twice", v)
			values[v] = true
		case history.OK:
			oks++
			assert.GreaterOrEqual(t, op.Mops[0].Offset, int64(0))
		}
		procs[op.Process] = true
	}
	assert.Equal(t, m.sent, invokes)
	assert.Equal(t, m.acked, oks)
	// Processes are reused after ok completions: far fewer than records.
	assert.Less(t, len(procs), 100)
}

func TestKeyedRecordsGoToTheKeysPartition(t *testing.T) {
	c := newTestCluster(t)
	keys, err := ParseKeys("uniform(50)")
	require.NoError(t, err)
	c.producer(t, ConstantRate(500), keys.Chooser(c.sim.Stream("keys"), 0), time.Second, &fakeMetrics{})
	require.NoError(t, c.sim.RunFor(3*time.Second))
	n := 0
	for _, op := range c.ops(t) {
		if op.F == history.FSend && op.Type == history.OK {
			n++
			assert.Regexp(t, `^orders/[01]$`, op.Mops[0].Key)
		}
	}
	assert.Positive(t, n)
}

func TestRestartedProducerUsesNewProcessesAndFreshValues(t *testing.T) {
	c := newTestCluster(t)
	m := &fakeMetrics{}
	id, _ := c.producer(t, ConstantRate(1000), nil, 4*time.Second, m)
	require.NoError(t, c.sim.RunFor(time.Second))
	require.NoError(t, c.sim.Crash(id))
	before := c.h.nextProc
	require.NoError(t, c.sim.RunFor(time.Second))
	require.NoError(t, c.sim.Restart(id))
	require.NoError(t, c.sim.RunFor(4*time.Second))
	values := map[int64]bool{}
	after := false
	for _, op := range c.ops(t) {
		if op.F == history.FSend && op.Type == history.Invoke {
			v := op.Mops[0].Value.Int()
			require.False(t, values[v], "value %d sent twice", v)
			values[v] = true
			if op.Process >= before {
				after = true
			}
		}
	}
	assert.True(t, after, "the restarted producer sends as new processes")
	// About 3s of the 4s schedule ran: the second while it was down is skipped.
	assert.InDelta(t, 3000, m.sent, 50)
}

func TestClosedLoopProducerKeepsTheClientBusy(t *testing.T) {
	c := newTestCluster(t)
	m := &fakeMetrics{}
	c.producer(t, ClosedLoopRate(), nil, time.Second, m)
	require.NoError(t, c.sim.RunFor(3*time.Second))
	assert.Greater(t, m.acked, 5000, "closed loop sends as fast as the cluster acknowledges")
	assert.Equal(t, m.sent, m.acked+m.failed)
}

func TestAssignConsumerReadsEverythingFromTheBeginning(t *testing.T) {
	c := newTestCluster(t)
	pm := &fakeMetrics{}
	c.producer(t, ConstantRate(1000), nil, time.Second, pm)
	require.NoError(t, c.sim.RunFor(2*time.Second))
	cm := &fakeMetrics{}
	cfg := client.DefaultConsumerConfig("", c.brokers...)
	cfg.EnableAutoCommit, cfg.AutoOffsetReset = false, client.ResetEarliest
	spec := &ConsumerSpec{Name: "reader", Config: cfg, MetricsGroup: "reader", Start: c.sim.Now(), History: c.h, Metrics: cm, Now: c.sim.Now,
		App: client.AppConfig{Partitions: []proto.TopicPartition{{Topic: "orders", Partition: 0}, {Topic: "orders", Partition: 1}}, SeekToBeginning: true}}
	id := c.next
	_, err := c.sim.AddNodeWithID(id, "reader", sim.NodeConfig{}, func() node.Machine { return NewConsumerHost(spec) })
	require.NoError(t, err)
	require.NoError(t, c.sim.StartNode(id))
	ok, err := c.sim.RunUntil(c.sim.Now()+10*time.Second, func() bool {
		h, _ := c.sim.Machine(id).(*ConsumerHost)
		return h != nil && h.CaughtUp()
	})
	require.NoError(t, err)
	require.True(t, ok, "the reader caught up")
	assert.Equal(t, pm.acked, cm.consumed)
	read := map[int64]bool{}
	sawAssign := false
	for _, op := range c.ops(t) {
		if op.F == history.FAssign {
			sawAssign = true
			assert.True(t, op.SeekToBeginning)
		}
		op.Reads(func(key string, r history.Record) { read[r.Value.Int()] = true })
	}
	assert.True(t, sawAssign)
	assert.Len(t, read, pm.acked)
}

package broker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker"
	"logsim/broker/proto"
	"logsim/sim/simtest"
)

func cmd(name string, args ...simtest.Arg) simtest.Command {
	return simtest.Command{Name: name, Args: args}
}

func word(w string) simtest.Arg  { return simtest.Arg{Key: w} }
func kv(k, v string) simtest.Arg { return simtest.Arg{Key: k, Value: v} }
func run(t *testing.T, h *simtest.Harness, c simtest.Command) string {
	t.Helper()
	out, err := h.Run(c)
	require.NoError(t, err, c.Name)
	return out
}

// The counters and the inspection API reflect what the brokers did: requests by API,
// bytes in and out, bytes appended and on disk, fsyncs under flush.messages=1, and
// each replica's log.
func TestStatsAndInspection(t *testing.T) {
	h, err := simtest.NewHarness(cmd("cluster", kv("brokers", "3")))
	require.NoError(t, err)
	run(t, h, cmd("create-topic", word("orders"), kv("partitions", "1"), kv("rf", "3"), kv("flush.messages", "1")))
	run(t, h, cmd("producer", word("p1"), kv("acks", "all")))
	run(t, h, cmd("produce", word("p1"), word("orders/0"), kv("values", "1..5")))
	require.NoError(t, h.Sim.RunFor(time.Second))

	tp := proto.TopicPartition{Topic: "orders"}
	leader := h.Broker(1)
	st := leader.Stats()
	names := broker.APINames()
	require.Equal(t, "Produce", names[0])
	assert.Positive(t, st.Requests[0], "Produce requests")
	assert.Positive(t, st.Requests[1], "Fetch requests (followers)")
	assert.Positive(t, st.BytesIn)
	assert.Positive(t, st.BytesOut)
	assert.Equal(t, int64(5), st.RecordsAppended)
	assert.Positive(t, st.Fsyncs, "flush.messages=1 fsyncs every append")
	assert.Equal(t, st.BytesAppended, leader.BytesOnDisk())

	pi, ok := leader.Partition(tp)
	require.True(t, ok)
	assert.Equal(t, int32(1), pi.Leader)
	assert.Equal(t, []int32{1, 2, 3}, pi.ISR)
	assert.Equal(t, int64(5), pi.HighWatermark)
	assert.Equal(t, int64(5), pi.LogEndOffset)
	assert.Equal(t, int64(5), pi.FlushedOffset)
	assert.Equal(t, map[int32]int64{2: 5, 3: 5}, pi.Followers)
	var values []int64
	for _, b := range pi.Batches {
		for _, r := range b.Records() {
			values = append(values, r.Value)
		}
	}
	assert.Equal(t, []int64{1, 2, 3, 4, 5}, values)

	follower := h.Broker(2)
	fst := follower.Stats()
	assert.Equal(t, int64(5), fst.RecordsAppended)
	md, ok := follower.Metadata(tp)
	require.True(t, ok)
	assert.Equal(t, int32(1), md.Leader, "who leads orders/0, as broker 2 sees it")
	leaderID, epoch, ok := h.Controller().Leader(tp)
	require.True(t, ok)
	assert.Equal(t, int32(1), leaderID)
	assert.Equal(t, int32(0), epoch)
}

func TestControllerFollowers(t *testing.T) {
	h, err := simtest.NewHarness(cmd("cluster", kv("brokers", "3")))
	require.NoError(t, err)
	run(t, h, cmd("create-topic", word("orders"), kv("partitions", "2"), kv("rf", "3")))
	assert.Equal(t, []int32{3, 1}, h.Controller().Followers(proto.TopicPartition{Topic: "orders", Partition: 1}))
	p, ok := h.Controller().Partition(proto.TopicPartition{Topic: "orders", Partition: 1})
	require.True(t, ok)
	assert.Equal(t, int32(2), p.Leader)
}

package broker_test

import (
	"testing"
	"time"

	"logsim/broker/client"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/sim"
	"logsim/sim/simtest"
)

// loadClient keeps a producer busy: it sends whenever fewer than window records are
// outstanding, topping up on every completion and every millisecond.
type loadClient struct {
	cfg     client.ProducerConfig
	p       *client.Producer
	env     node.Env
	window  int64
	next    int64
	acked   int64
	failed  int64
	lastErr string
	done    func(client.Result)
}

const tickKind int32 = 1

func (c *loadClient) Start(env node.Env, restart bool) {
	c.env = env
	c.p = client.NewProducer(env, c.cfg)
	c.done = func(r client.Result) {
		if r.Outcome == client.OK {
			c.acked++
		} else {
			c.failed++
			c.lastErr = r.Outcome.String() + " " + r.Err
		}
	}
	env.After(time.Millisecond, node.Timer{Kind: tickKind})
	c.fill()
}

func (c *loadClient) Handle(ev node.Event) {
	if c.p.Handle(ev) {
		c.fill()
		return
	}
	if ev.Kind == node.TimerFired && ev.Timer.Kind == tickKind {
		c.fill()
		c.env.After(time.Millisecond, node.Timer{Kind: tickKind})
	}
}

func (c *loadClient) fill() {
	for c.p.Pending() < c.window && c.p.BlockedSends() == 0 {
		c.next++
		c.p.Send(client.Record{Topic: "bench", Partition: -1, Value: c.next, Size: 1024}, c.done)
	}
}

// BenchmarkProduceReplicate measures the broker path end to end on the simulator:
// 3 brokers, one topic with 12 partitions (4 led by each broker) and replication
// factor 3, acks=all, lz4, 1 KiB text records in batches of about 16 KiB, nobody
// consuming. records/s is simulated acknowledged records per wall-clock second;
// events/record and sim-records/s describe the simulated run.
func BenchmarkProduceReplicate(b *testing.B) {
	h, lc, _ := startBenchLoad(b, 16<<10, 4096)
	if err := h.Sim.RunFor(time.Second); err != nil { // warm up: metadata, producer id
		b.Fatal(err)
	}
	start, events, simStart := lc.acked, h.Sim.Events(), h.Sim.Now()
	b.ResetTimer()
	target := start + int64(b.N)*1000
	if _, err := h.Sim.RunUntil(h.Sim.Now()+time.Hour, func() bool { return lc.acked >= target }); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if lc.failed > 0 {
		b.Fatalf("%d sends failed, the last with %s", lc.failed, lc.lastErr)
	}
	n := float64(lc.acked - start)
	b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(h.Sim.Events()-events)/n, "events/record")
	b.ReportMetric(n/(h.Sim.Now()-simStart).Seconds(), "sim-records/s")
}

// startBenchLoad builds the benchmarks' cluster (3 brokers; the topic "bench" with 12
// partitions and replication factor 3) and starts the node "load": a producer of
// lz4-compressed 1 KiB text records (batch.size batchSize, linger.ms 5) that keeps
// window records outstanding.
func startBenchLoad(b *testing.B, batchSize int, window int64) (*simtest.Harness, *loadClient, node.ID) {
	b.Helper()
	h, err := simtest.NewHarness(simtest.Command{Name: "cluster", Args: []simtest.Arg{{Key: "brokers", Value: "3"}}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.Run(simtest.Command{Name: "create-topic", Args: []simtest.Arg{{Key: "bench"}, {Key: "partitions", Value: "12"}, {Key: "rf", Value: "3"}}}); err != nil {
		b.Fatal(err)
	}
	cfg := client.DefaultProducerConfig(h.Brokers...)
	cfg.CompressionType = proto.CompressionLZ4
	cfg.Payload = proto.PayloadText
	cfg.BatchSize = batchSize
	cfg.Linger = 5 * time.Millisecond
	lc := &loadClient{cfg: cfg, window: window}
	id, err := h.Sim.AddNodeWithID(500, "load", sim.NodeConfig{Cores: 1}, func() node.Machine { return lc })
	if err != nil {
		b.Fatal(err)
	}
	if err := h.Sim.StartNode(id); err != nil {
		b.Fatal(err)
	}
	return h, lc, id
}

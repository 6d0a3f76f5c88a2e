package broker_test

import (
	"strconv"
	"testing"
	"time"

	"logsim/broker"
	"logsim/broker/client"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/sim"
)

// consumeProgress is what the group has read: per partition, the offset after the
// highest record processed, and how many records are still to go.
type consumeProgress struct {
	next      []int64
	end       []int64
	remaining int64
	processed int64
}

func (p *consumeProgress) record(r client.ConsumerRecord) {
	p.processed++
	i := r.TP.Partition
	if r.Offset+1 > p.next[i] {
		p.remaining -= r.Offset + 1 - p.next[i]
		p.next[i] = r.Offset + 1
	}
}

// consumeClient runs one group member that only counts what it processes.
type consumeClient struct {
	cc       client.ConsumerConfig
	app      *client.App
	progress *consumeProgress
}

func (c *consumeClient) Start(env node.Env, restart bool) {
	cons := client.NewConsumer(env, c.cc)
	c.app = client.NewApp(env, cons, client.AppConfig{Topics: []string{"bench"}, Mode: client.CommitAuto})
	c.app.OnProcessed = c.progress.record
	c.app.Start()
}

func (c *consumeClient) Handle(ev node.Event) { c.app.Handle(ev) }

// BenchmarkConsume measures consumption end to end on the simulator: 3 brokers, a topic
// of 12 partitions (replication factor 3) pre-filled with lz4-compressed 1 KiB records,
// read by a group of 4 consumers (range assignor, auto-commit) from the earliest offset.
// records/s is simulated records read per wall-clock second; the group's forming
// (FindCoordinator, the creation of __consumer_offsets, JoinGroup, SyncGroup) is part of
// the measured run.
func BenchmarkConsume(b *testing.B) {
	// Pre-fill: b.N thousand records through a producer.
	total := int64(b.N) * 1000
	h, lc, id := startBenchLoad(b, 64<<10, min(8192, total))
	if _, err := h.Sim.RunUntil(h.Sim.Now()+time.Hour, func() bool { return lc.acked >= total }); err != nil {
		b.Fatal(err)
	}
	if err := h.Sim.Crash(id); err != nil { // stop producing
		b.Fatal(err)
	}
	if err := h.Sim.RunFor(time.Second); err != nil { // let replication settle
		b.Fatal(err)
	}
	// What there is to read: each partition's high watermark at its leader.
	progress := &consumeProgress{next: make([]int64, 12), end: make([]int64, 12)}
	for p := int32(0); p < 12; p++ {
		tp := proto.TopicPartition{Topic: "bench", Partition: p}
		for _, bid := range h.Brokers {
			if br, ok := h.Sim.Machine(bid).(*broker.Broker); ok {
				if pi, ok := br.Partition(tp); ok && pi.Leader == int32(bid) {
					progress.end[p] = pi.HighWatermark
				}
			}
		}
		progress.remaining += progress.end[p]
	}
	total = progress.remaining
	for i := 0; i < 4; i++ {
		cc := client.DefaultConsumerConfig("bench-group", h.Brokers...)
		cc.ClientID = "consumer-" + strconv.Itoa(i)
		cc.AutoOffsetReset = client.ResetEarliest
		c := &consumeClient{cc: cc, progress: progress}
		cid, err := h.Sim.AddNodeWithID(node.ID(600+i), cc.ClientID, sim.NodeConfig{Cores: 2}, func() node.Machine { return c })
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Sim.StartNode(cid); err != nil {
			b.Fatal(err)
		}
	}
	simStart := h.Sim.Now()
	b.ResetTimer()
	ok, err := h.Sim.RunUntil(h.Sim.Now()+time.Hour, func() bool { return progress.remaining == 0 })
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if !ok {
		b.Fatalf("%d of %d records left unread", progress.remaining, total)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(progress.processed-total)/float64(total), "redelivered/record")
	b.ReportMetric(float64(total)/(h.Sim.Now()-simStart).Seconds(), "sim-records/s")
}

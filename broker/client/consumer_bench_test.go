package client

import (
	"testing"
	"time"
)

// BenchmarkConsumerFakeBroker measures the consumer and its application alone: four
// group members read 12 pre-filled partitions from the test's fake broker. The
// cluster-level figure is BenchmarkConsume in package broker.
func BenchmarkConsumerFakeBroker(b *testing.B) {
	const perPartition = 20000
	total := 0
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := newWorld(&testing.T{})
		w.quiet = true
		w.broker.createTopic("orders", 12)
		for p := int32(0); p < 12; p++ {
			for k := 0; k < perPartition/100; k++ {
				w.broker.produce(tp("orders", p), 100)
			}
		}
		cc := testConsumerConfig("g")
		cc.MaxPollRecords = 500
		for c := 0; c < 4; c++ {
			w.addConsumer("c"+string(rune('1'+c)), cc, AppConfig{Topics: []string{"orders"}})
		}
		b.StartTimer()
		start := time.Now()
		w.run(60 * time.Second)
		elapsed += time.Since(start)
		n := 0
		for _, c := range w.clients {
			n += int(c.app.Stats().Processed)
		}
		if n != 12*perPartition {
			b.Fatalf("consumed %d of %d", n, 12*perPartition)
		}
		total += n
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "records/s")
}

package sim

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkQueue measures the event queue alone: pop the earliest of 4000 pending
// entries and push one a random delay (up to 1ms) later.
func BenchmarkQueue(b *testing.B) {
	var q queue
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 4000; i++ {
		q.push(time.Duration(r.Int64N(int64(time.Millisecond))), uint32(i))
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := q.pop()
		q.push(it.at+time.Duration(r.Int64N(int64(time.Millisecond))), it.slot())
	}
	b.StopTimer()
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

package reports_test

import (
	"fmt"
	"time"

	"logsim/reports"
)

// A harness feeds the Recorder in simulated time, then writes the output folder with
// reports.WriteRun(dir, &reports.Run{..., Metrics: m}).
func ExampleRecorder() {
	r := reports.NewRecorder(reports.Config{Interval: time.Second})
	r.Broker(1, reports.BrokerCapacity{Cores: 2, NICBytesPerSec: 125_000_000, DiskBytesPerSec: 500_000_000})
	for i := range 1000 {
		intended := time.Duration(i) * time.Millisecond
		sent := intended + 20*time.Microsecond // the producer ran a little late
		r.PublishSent(sent, intended, 1024)
		r.PublishAcked(sent+400*time.Microsecond, sent, 1024)
		r.Consumed(sent+900*time.Microsecond, "analytics", sent, 1024)
	}
	r.BrokerSample(999990*time.Microsecond, 1, reports.BrokerCounters{CPUBusy: 300 * time.Millisecond})
	m := r.Finish(time.Second)
	fmt.Print(reports.ConsoleSummary(m))
	fmt.Printf("broker 1 CPU %.0f%%\n", 100*m.Brokers[0].CPUUtilization[0])
	// Output:
	// 1000 records sent, 1000.600360 records/sec (0.98 MB/sec), 0.40 ms avg latency, 0.40 ms max latency, 0.40 ms 50th, 0.40 ms 95th, 0.40 ms 99th, 0.40 ms 99.9th.
	// 1000 records consumed, 1001.001001 records/sec (0.98 MB/sec), 0.90 ms avg end-to-end latency, 0.90 ms max, 0.90 ms 50th, 0.90 ms 95th, 0.90 ms 99th, 0.90 ms 99.9th.
	// 0 publish errors, publish delay (coordinated omission) 20.2 us avg, 20.5 us 99th, 20.5 us max.
	// broker 1 CPU 15%
}

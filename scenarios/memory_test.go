package scenarios

import (
	"fmt"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkTenMillionRecords runs the quickstart scenario with its load phase
// stretched to send ten million records (LOGSIM_BENCH_RECORDS overrides the count),
// checker included, and reports the peak of the memory the Go runtime holds from
// the operating system (its resident set, bar the binary) over the whole run, per
// run and per record, with the collector set as the logsim command sets it (TuneGC).
// The target is a ten-million-record run within 1 GiB.
func BenchmarkTenMillionRecords(b *testing.B) {
	defer TuneGC()()
	want := 10_000_000.0
	if v, err := strconv.ParseFloat(os.Getenv("LOGSIM_BENCH_RECORDS"), 64); err == nil && v > 0 {
		want = v
	}
	base, err := LoadShipped("quickstart.yaml")
	require.NoError(b, err)
	perSec := 0.0
	for i := range base.Producers {
		perSec += base.Producers[i].Rate.Expected(time.Second)
	}
	require.Positive(b, perSec)
	dur := time.Duration(want / perSec * float64(time.Second)).Round(time.Millisecond)
	s, err := LoadShipped("quickstart.yaml", fmt.Sprintf("duration=%dms", dur.Milliseconds()))
	require.NoError(b, err)

	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if m := heldMemory(); m > peak.Load() {
				peak.Store(m)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	var records int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := Run(s, RunOptions{})
		require.NoError(b, err)
		require.True(b, out.Passed, "%v", out.Reasons)
		records += out.Records
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
	b.ReportMetric(float64(peak.Load())/float64(records/int64(b.N)), "peak-B/record")
}

var memSamples = []rtmetrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// heldMemory is the memory the Go runtime has mapped and not returned to the
// operating system.
func heldMemory() uint64 {
	s := make([]rtmetrics.Sample, len(memSamples))
	copy(s, memSamples)
	rtmetrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

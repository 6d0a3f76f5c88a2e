package checker

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// peakRSSMiB returns the process's peak resident set size (VmHWM) in MiB, or 0 where
// /proc is not available.
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

// resetPeakRSS resets VmHWM where Linux allows it (writing 5 to clear_refs).
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// liveHeap returns the bytes of heap objects (live and not yet swept).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// samplePeakHeap samples liveHeap every few milliseconds until the returned function
// is called, which returns the highest sample.
func samplePeakHeap() func() uint64 {
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		peak := liveHeap()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				result <- max(peak, liveHeap())
				return
			case <-tick.C:
				peak = max(peak, liveHeap())
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-result
	}
}

// BenchmarkCheckMillion checks a generated valid history of 1,000,000 lines over 64
// partitions and 32 concurrent clients: all analyses without porcupine ("analyses"),
// with porcupine ("with-porcupine"), and reading the JSON Lines file ("read").
// Targets on a 2-core machine: analyses <= 5 s, with porcupine <= 20 s, peak memory
// <= 2 GiB. peak-rss-MiB is the test process's peak resident set during the check,
// with the generated history (peak-live-MiB minus check-live-MiB) in memory.
func BenchmarkCheckMillion(b *testing.B) {
	if testing.Short() {
		b.Skip("generates a history of 1,000,000 operations")
	}
	ops := generate(genConfig{seed: 1, lines: 1_000_000, keys: 64, procs: 32, maxDelay: 2_000_000, retention: true, groups: true})
	b.Logf("generated %d lines", len(ops))
	for _, tc := range []struct {
		name string
		lin  bool
	}{{"analyses", false}, {"with-porcupine", true}} {
		b.Run(tc.name, func(b *testing.B) {
			// Measure this check's peak, not the generator's: return freed memory and
			// reset the kernel's high-water mark of the resident set.
			debug.FreeOSMemory()
			resetPeakRSS()
			base := liveHeap()
			stop := samplePeakHeap()
			var res *Result
			cpu0 := cpuSeconds()
			for b.Loop() {
				var err error
				res, err = Check(ops, Options{Linearizability: tc.lin, Timeout: 5 * time.Minute, Timings: true})
				require.NoError(b, err)
			}
			require.True(b, res.Valid, "errors: %v", res.Errors)
			b.Logf("analysis ms: %v", res.Stats.AnalysisMillis)
			if tc.lin {
				require.Equal(b, LinOK, res.Linearizable)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
			peak := stop()
			b.ReportMetric(float64(peak)/(1<<20), "peak-live-MiB")
			b.ReportMetric(float64(peak-base)/(1<<20), "check-live-MiB")
			b.ReportMetric(float64(len(ops)), "lines")
			b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
			b.ReportMetric(peakRSSMiB(), "peak-rss-MiB")
		})
	}
	var data []byte // built once: the framework may call the sub-benchmark twice
	n := len(ops)
	b.Run("read", func(b *testing.B) {
		if data == nil {
			var buf bytes.Buffer
			w := history.NewWriter(&buf)
			for i := range ops {
				require.NoError(b, w.Write(&ops[i]))
			}
			require.NoError(b, w.Flush())
			data = buf.Bytes()
			ops = nil // the last sub-benchmark: only the bytes are needed now
		}
		debug.FreeOSMemory()
		resetPeakRSS()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			got, err := history.ReadAll(bytes.NewReader(data), "bench.jsonl")
			require.NoError(b, err)
			require.Len(b, got, n)
		}
		b.ReportMetric(peakRSSMiB(), "peak-rss-MiB")
	})
}

// Package reports turns a run's measurements into the files benchmark users expect.
//
// A Recorder collects metrics in simulated time (time.Duration since the run began,
// exact to the nanosecond) while the harness drives a run: publishes sent, acknowledged
// and failed, records consumed per consumer group, consumer lag per partition, broker
// CPU, network and disk counters, request counts, batch bytes before and after
// compression, and fault windows. Latencies (publish latency = ack minus actual send,
// publish delay = actual send minus intended send, end-to-end = consume minus send) go
// into HdrHistograms covering 1 µs to 1 h at 3 significant digits; the histograms are
// allocated per metric and per interval kind up front and reused, so recording never
// allocates.
//
// Recorder.Finish yields Metrics, a plain JSON-able model. WriteRun writes a run's
// output folder from it: result.json (versioned, readable back with ReadResult),
// omb-result.json (OpenMessaging Benchmark's TestResult field names and units),
// HdrHistogram interval logs (.hlog) and percentile distributions (.hgrm), SVG and PNG
// plots (byte-identical for identical input), report.html (one self-contained page) and
// summary.md. ConsoleSummary prints the kafka-producer-perf-test style final line and
// FormatProgress the progress line of a long run.
//
// Compare and WriteComparison build the side-by-side view of several runs that the
// sweep command writes: a table in Markdown, CSV and JSON, overlay plots, index.html,
// and the configurations that reach the highest throughput within a p99 latency bound.
package reports

package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ResultSchema and ResultVersion identify result.json. ReadResult accepts exactly this
// version; bump it when a field changes meaning or disappears.
const (
	ResultSchema  = "logsim.result"
	ResultVersion = 1
)

// Verdict is the checker's judgement as the caller hands it over.
type Verdict struct {
	// Status is the caller's word for the outcome: "pass", "fail", "unknown", ...
	Status string `json:"status"`
	// Summary is one line for people.
	Summary string `json:"summary,omitempty"`
	// Anomalies found by the checker, each explained.
	Anomalies []Anomaly `json:"anomalies,omitempty"`
	// Details is the checker's machine-readable verdict, stored verbatim (JSON-able).
	Details any `json:"details,omitempty"`
}

// Passed reports whether Status says the run passed.
func (v *Verdict) Passed() bool { return v.Status == "pass" || v.Status == "ok" }

// Anomaly is one finding of the checker.
type Anomaly struct {
	Kind    string `json:"kind"`
	Summary string `json:"summary"`
	// Explanation is the checker's text for people (plain text; newlines kept).
	Explanation string `json:"explanation,omitempty"`
	// Details is the checker's JSON for the anomaly, stored verbatim (JSON-able).
	Details any `json:"details,omitempty"`
}

// OMBInfo is the header of omb-result.json: how the run maps onto an OMB workload.
type OMBInfo struct {
	Workload          string `json:"workload"`
	Driver            string `json:"driver"`
	MessageSize       int64  `json:"message_size"`
	Topics            int    `json:"topics"`
	Partitions        int    `json:"partitions"`
	ProducersPerTopic int    `json:"producers_per_topic"`
	ConsumersPerTopic int    `json:"consumers_per_topic"`
}

// Run is everything a run's output folder is built from.
type Run struct {
	// Name labels the run (the scenario's name).
	Name string
	Seed int64
	// Reproduce is the one-line command that reruns it.
	Reproduce string
	// Scenario is the resolved scenario, stored verbatim (JSON-able).
	Scenario any
	Verdict  Verdict
	// Porcupine is the file name, relative to the output folder, of the porcupine
	// linearizability visualization; "" when there is none.
	Porcupine string
	OMB       OMBInfo
	Metrics   *Metrics
}

// Result is the content of result.json.
type Result struct {
	Schema    string   `json:"schema"`
	Version   int      `json:"version"`
	Name      string   `json:"name"`
	Seed      int64    `json:"seed"`
	Reproduce string   `json:"reproduce,omitempty"`
	Scenario  any      `json:"scenario"`
	Verdict   Verdict  `json:"verdict"`
	Porcupine string   `json:"porcupine,omitempty"`
	OMB       OMBInfo  `json:"omb"`
	Metrics   *Metrics `json:"metrics"`
}

// ResultOf wraps a run into result.json's shape.
func ResultOf(run *Run) *Result {
	return &Result{
		Schema: ResultSchema, Version: ResultVersion,
		Name: run.Name, Seed: run.Seed, Reproduce: run.Reproduce,
		Scenario: run.Scenario, Verdict: run.Verdict, Porcupine: run.Porcupine,
		OMB: run.OMB, Metrics: run.Metrics,
	}
}

// Run turns a result back into a Run (without per-interval histograms).
func (r *Result) Run() *Run {
	return &Run{
		Name: r.Name, Seed: r.Seed, Reproduce: r.Reproduce, Scenario: r.Scenario,
		Verdict: r.Verdict, Porcupine: r.Porcupine, OMB: r.OMB, Metrics: r.Metrics,
	}
}

// WriteResultJSON writes run as result.json, indented, with a final newline.
func WriteResultJSON(w io.Writer, run *Run) error {
	return writeJSON(w, ResultOf(run))
}

func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadResult reads a result.json, or the result.json inside path when path is a
// folder. Errors name the file; a missing or different schema version is an error
// that says which version this logsim reads.
func ReadResult(path string) (*Result, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "result.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseResult(path, data)
}

// ParseResult parses result.json content; name is used in errors.
func ParseResult(name string, data []byte) (*Result, error) {
	var head struct {
		Schema  *string `json:"schema"`
		Version *int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a logsim result: %v", name, jsonErrorAt(data, err))
	}
	if head.Schema == nil || *head.Schema != ResultSchema {
		got := "missing"
		if head.Schema != nil {
			got = fmt.Sprintf("%q", *head.Schema)
		}
		return nil, fmt.Errorf("%s: schema is %s; a logsim result has \"schema\": %q", name, got, ResultSchema)
	}
	if head.Version == nil || *head.Version != ResultVersion {
		got := "missing"
		if head.Version != nil {
			got = fmt.Sprint(*head.Version)
		}
		return nil, fmt.Errorf("%s: result version is %s; this logsim reads version %d (rerun the scenario to regenerate it)", name, got, ResultVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	// The caller's opaque values stay byte for byte as written (key order included),
	// so a rebuilt result.json equals the original.
	scenario, details := new(json.RawMessage), new(json.RawMessage)
	r := Result{Scenario: scenario, Verdict: Verdict{Details: details}}
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %v", name, jsonErrorAt(data, err))
	}
	if r.Metrics == nil {
		return nil, fmt.Errorf("%s: no \"metrics\" object", name)
	}
	if len(*scenario) == 0 {
		r.Scenario = nil
	}
	if len(*details) == 0 {
		r.Verdict.Details = nil
	}
	for _, k := range LatencyKinds {
		if _, err := r.Metrics.Histogram(k); err != nil {
			return nil, fmt.Errorf("%s: metrics.histograms: %v", name, err)
		}
	}
	if err := r.Metrics.validate(); err != nil {
		return nil, fmt.Errorf("%s: metrics.%v", name, err)
	}
	return &r, nil
}

// validate checks what the report writers rely on: every per-interval series has one
// element per interval, intervals and faults do not run backwards.
func (m *Metrics) validate() error {
	n := len(m.Intervals)
	if n > 0 && m.IntervalNs <= 0 {
		return fmt.Errorf("interval_ns: %d; it must be positive", m.IntervalNs)
	}
	for i, iv := range m.Intervals {
		if iv.EndNs < iv.StartNs {
			return fmt.Errorf("intervals[%d]: end_ns %d before start_ns %d", i, iv.EndNs, iv.StartNs)
		}
	}
	for i, w := range m.Windows {
		if w.EndNs < w.StartNs {
			return fmt.Errorf("windows[%d]: end_ns %d before start_ns %d", i, w.EndNs, w.StartNs)
		}
	}
	check := func(field string, got int) error {
		if got != n {
			return fmt.Errorf("%s: %d elements for %d intervals", field, got, n)
		}
		return nil
	}
	for i, g := range m.Groups {
		if err := check(fmt.Sprintf("groups[%d].consumed_per_interval", i), len(g.ConsumedPerInterval)); err != nil {
			return err
		}
		if err := check(fmt.Sprintf("groups[%d].backlog_per_interval", i), len(g.BacklogPerInterval)); err != nil {
			return err
		}
	}
	for i, l := range m.Lags {
		if err := check(fmt.Sprintf("lags[%d].lag", i), len(l.Lag)); err != nil {
			return err
		}
	}
	for i, b := range m.Brokers {
		for field, got := range map[string]int{
			"cpu_busy_ns_per_interval": len(b.CPUBusyNsPerInterval), "net_in_bytes_per_interval": len(b.NetInPerInterval),
			"net_out_bytes_per_interval": len(b.NetOutPerInterval), "disk_write_bytes_per_interval": len(b.DiskWritePerInterval),
			"disk_read_bytes_per_interval": len(b.DiskReadPerInterval), "cpu_utilization": len(b.CPUUtilization),
			"net_in_utilization": len(b.NetInUtilization), "net_out_utilization": len(b.NetOutUtilization),
			"disk_utilization": len(b.DiskUtilization),
		} {
			if err := check(fmt.Sprintf("brokers[%d].%s", i, field), got); err != nil {
				return err
			}
		}
	}
	for i, q := range m.Requests {
		if err := check(fmt.Sprintf("requests[%d].per_interval", i), len(q.PerInterval)); err != nil {
			return err
		}
	}
	for i, f := range m.Faults {
		if f.StopNs < f.StartNs {
			return fmt.Errorf("faults[%d]: stop_ns %d before start_ns %d", i, f.StopNs, f.StartNs)
		}
	}
	return nil
}

// jsonErrorAt adds line and column to a JSON error that carries an offset.
func jsonErrorAt(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

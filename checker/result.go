package checker

import (
	"encoding/json"
	"sort"
	"time"

	"logsim/checker/history"
)

// Anomaly type names. Jepsen's names are used where Jepsen reports the anomaly.
const (
	TypeInconsistentOffsets = "inconsistent-offsets"
	TypeDuplicate           = "duplicate"
	TypeLostWrite           = "lost-write"
	TypeUnseen              = "unseen"
	TypeG1a                 = "G1a"
	TypePrecommittedRead    = "precommitted-read"
	TypePollSkip            = "poll-skip"
	TypeNonmonotonicPoll    = "nonmonotonic-poll"
	TypeIntPollSkip         = "int-poll-skip"
	TypeIntNonmonotonicPoll = "int-nonmonotonic-poll"
	TypeIntSendSkip         = "int-send-skip"
	TypeIntNonmonotonicSend = "int-nonmonotonic-send"
	TypeNonmonotonicSend    = "nonmonotonic-send"
	TypeG0                  = "G0"
	TypeG0Process           = "G0-process"
	TypeG0Realtime          = "G0-realtime"
	TypeG1c                 = "G1c"
	TypeG1cProcess          = "G1c-process"
	TypeG1cRealtime         = "G1c-realtime"

	// TypeUnexpectedValue: a poll returned a value that no send of the history ever
	// sent to that key (corruption, or a record from another key).
	TypeUnexpectedValue = "unexpected-value"
	// TypeGroupLoss: a consumer group committed an offset past a record that no member
	// of the group ever received (at-least-once delivery of the group broken). Counted
	// from the lowest offset of the key the group received or committed, for records
	// some consumer did read (others are lost-write or unseen matters) at or above the
	// key's final log start.
	TypeGroupLoss = "group-loss"
	// TypeRealtimeSendOrder: within a partition, an acknowledged send that completed
	// before another send began got the higher offset, with no truncation of that
	// partition in between and none later that removed the earlier record (that is a
	// lost write instead). Jepsen allows this as G0-realtime; a single-leader log must
	// not do it.
	TypeRealtimeSendOrder = "realtime-send-order"
	// TypeExpiredUnconsumed: records that were sent and never read, but lie below the
	// key's log start offset from a log-start event: retention deleted them by policy.
	// Allowed by default; reported so that a slow consumer's losses are visible.
	TypeExpiredUnconsumed = "expired-unconsumed"
	// TypeNonlinearizable: porcupine found that a partition's sends and polls cannot
	// be ordered as operations on one append-only log consistent with real time.
	TypeNonlinearizable = "nonlinearizable"
)

// severity orders anomaly types for people: the most damaging first.
var severity = []string{
	TypeLostWrite, TypeUnexpectedValue, TypeInconsistentOffsets, TypeDuplicate, TypeG1a,
	TypePrecommittedRead, TypeGroupLoss, TypeNonlinearizable, TypeUnseen, TypeG1c,
	TypeG1cProcess, TypeG1cRealtime, TypeRealtimeSendOrder, TypeNonmonotonicSend,
	TypeIntNonmonotonicSend, TypePollSkip, TypeNonmonotonicPoll, TypeIntPollSkip,
	TypeIntNonmonotonicPoll, TypeG0, TypeG0Process, TypeG0Realtime, TypeIntSendSkip,
	TypeExpiredUnconsumed,
}

// AllTypes lists every anomaly type the checker reports, most severe first.
func AllTypes() []string { return append([]string(nil), severity...) }

func severityRank(t string) int {
	for i, s := range severity {
		if s == t {
			return i
		}
	}
	return len(severity)
}

// DefaultAllowed returns the anomaly types that are not errors by default, as Jepsen
// decides: int-send-skip and G0 (writes are not isolated in Kafka), their less
// precise variants, and expired-unconsumed (retention is policy). With wwDeps, G1c
// is allowed too (inferred write-write edges make t0 <ww t1 <wr t0 normal).
// poll-skip and nonmonotonic-poll are excused per instance for subscribed consumers.
func DefaultAllowed(wwDeps bool) []string {
	a := []string{TypeIntSendSkip, TypeG0, TypeG0Process, TypeG0Realtime, TypeExpiredUnconsumed}
	if wwDeps {
		a = append(a, TypeG1c, TypeG1cProcess, TypeG1cRealtime)
	}
	return a
}

// Options configure a check.
type Options struct {
	// Allow lists anomaly types that do not make the history invalid, in addition to
	// DefaultAllowed.
	Allow []string
	// WWDeps infers write-write dependencies between consecutive values of each key's
	// version order, as Jepsen's :ww-deps does (needed to find G0 from sends alone).
	WWDeps bool
	// Linearizability runs porcupine on every partition.
	Linearizability bool
	// Timeout bounds the porcupine check; when it expires the verdict is "unknown".
	// Zero means no limit.
	Timeout time.Duration
	// OutDir, when set, receives porcupine's HTML visualization of every partition
	// found not linearizable.
	OutDir string
	// Timings records how long each analysis took in Stats.AnalysisMillis. Off by
	// default so that the same history always gives the same result, byte for byte.
	Timings bool
	// PorcupineMaxOps is the largest partition history (operations) given to
	// porcupine, whose memory grows with the square of it; larger partitions are
	// decided by an equivalent direct algorithm (see LinStats.DirectPartitions) and get
	// no visualization. 0: DefaultPorcupineMaxOps; negative: no bound.
	PorcupineMaxOps int
	// crossCheck (tests) decides every partition both ways and panics if porcupine
	// and the direct algorithm disagree.
	crossCheck bool
	// MaxInstances bounds the instances kept per anomaly type (0: DefaultMaxInstances;
	// negative: no bound). Stats.AnomalyCounts always has the full counts.
	MaxInstances int
}

// DefaultOptions are what logsim check uses without flags: Jepsen's analyses and this
// package's, and porcupine on every partition within a minute.
func DefaultOptions() Options {
	return Options{Linearizability: true, Timeout: time.Minute}
}

// DefaultPorcupineMaxOps keeps porcupine's cache (a bitset of the partition's
// operations per entry) near 100 MiB per worker.
const DefaultPorcupineMaxOps = 30000

// DefaultMaxInstances is the default bound on instances kept per anomaly type, so
// that a badly broken run of millions of operations gives a result people can read.
const DefaultMaxInstances = 10000

// Linearizability verdicts.
const (
	LinOK      = "ok"
	LinIllegal = "illegal"
	LinUnknown = "unknown"
	LinSkipped = "skipped"
)

// Result is the checker's verdict; it marshals to the result object of the history
// specification.
type Result struct {
	Valid        bool                  `json:"valid"`         // no anomaly outside the allowed types
	AnomalyTypes []string              `json:"anomaly_types"` // every type found, sorted, allowed or not
	Errors       []string              `json:"errors"`        // the types that make the history invalid, sorted
	Anomalies    map[string][]*Anomaly `json:"anomalies"`     // instances per type
	Linearizable string                `json:"linearizable"`  // LinOK, LinIllegal, LinUnknown or LinSkipped
	Stats        Stats                 `json:"stats"`         // figures about the history and the check
}

// Anomaly is one instance of an anomaly. Fields follow Jepsen's names; operations are
// named by the history index of their completion line. Unset fields are omitted.
type Anomaly struct {
	Key          string          `json:"key,omitempty"`            // the key (partition)
	Group        string          `json:"group,omitempty"`          // the consumer group
	Value        *history.Value  `json:"value,omitempty"`          // the value concerned
	Values       []history.Value `json:"values,omitempty"`         // values concerned, in order
	Offset       *int64          `json:"offset,omitempty"`         // the offset concerned
	Offsets      []int64         `json:"offsets,omitempty"`        // offsets concerned
	Count        *int            `json:"count,omitempty"`          // how many
	Index        *int            `json:"index,omitempty"`          // a position in the key's version order
	MaxReadIndex *int            `json:"max-read-index,omitempty"` // the highest version-order position an ok poll is known to have reached
	Delta        *int            `json:"delta,omitempty"`          // difference of version-order positions
	Skipped      []history.Value `json:"skipped,omitempty"`        // values skipped over
	Op           *int64          `json:"op,omitempty"`             // the operation (completion index)
	Ops          []int64         `json:"ops,omitempty"`            // operations (completion indices), in order
	Writer       *int64          `json:"writer,omitempty"`         // the operation that sent the value
	Reader       *int64          `json:"reader,omitempty"`         // the operation that polled the value
	MaxRead      *int64          `json:"max-read,omitempty"`       // an operation that read the max-read-index position
	Cycle        []int64         `json:"cycle,omitempty"`          // the operations of a cycle; the first is repeated at the end
	Steps        []Step          `json:"steps,omitempty"`          // how each operation of the cycle precedes the next
	LogStart     *int64          `json:"log-start,omitempty"`      // the key's log start offset
	Time         *int64          `json:"time,omitempty"`           // a time, in nanoseconds
	File         string          `json:"file,omitempty"`           // a file written for this instance (a visualization)
	// Excused says why this instance does not count against validity ("subscribed":
	// the consumer was subscribed, so rebalances may move it; "truncated": the
	// partition was truncated in between); empty when it counts.
	Excused string `json:"excused,omitempty"`
	// Explanation says what happened in a sentence or two.
	Explanation string `json:"explanation"`
}

// Step is one edge of a dependency cycle: how the operation before it precedes the
// operation after it.
type Step struct {
	Type   string         // ww, wr, process or realtime
	Key    string         // ww, wr: the key
	Value  *history.Value // wr: the value read; ww: the earlier value
	Value2 *history.Value // ww: the later value (Jepsen's value')
}

// MarshalJSON writes a step with Jepsen's field names (type, key, value, value').
func (s Step) MarshalJSON() ([]byte, error) {
	b := []byte(`{"type":`)
	b, _ = appendJSON(b, s.Type)
	if s.Key != "" {
		b = append(b, `,"key":`...)
		b, _ = appendJSON(b, s.Key)
	}
	if s.Value != nil {
		b = append(b, `,"value":`...)
		b = s.Value.AppendJSON(b)
	}
	if s.Value2 != nil {
		b = append(b, `,"value'":`...)
		b = s.Value2.AppendJSON(b)
	}
	return append(b, '}'), nil
}

func appendJSON(b []byte, v any) ([]byte, error) {
	x, err := json.Marshal(v)
	return append(b, x...), err
}

// Stats are figures about the history and the check.
type Stats struct {
	Ops     int            `json:"ops"`     // client operations completed
	Events  int            `json:"events"`  // harness events
	Keys    int            `json:"keys"`    // distinct keys
	Sends   map[string]int `json:"sends"`   // send completions by type
	Polls   map[string]int `json:"polls"`   // poll completions by type
	Pending int            `json:"pending"` // operations invoked but never completed
	// AnomalyCounts counts every instance found per type, including any beyond
	// Options.MaxInstances.
	AnomalyCounts   map[string]int `json:"anomaly_counts"`
	RecordsRead     int            `json:"records_read"`              // records returned by polls
	Redeliveries    map[string]int `json:"redeliveries,omitempty"`    // per consumer group, records received more than once (extra deliveries)
	Linearizability *LinStats      `json:"linearizability,omitempty"` // the porcupine check; nil when skipped
	// WorstRealtimeLag is the poll that was furthest behind the log's tail (Jepsen's
	// worst-realtime-lag); nil when no poll lagged.
	WorstRealtimeLag *Lag `json:"worst_realtime_lag,omitempty"`
	// CycleSearchIncomplete is set when a dependency cycle exists but the search for a
	// specific G0/G1c instance ran out of budget (Elle's cycle-search-timeout).
	CycleSearchIncomplete bool             `json:"cycle_search_incomplete,omitempty"`
	AnalysisMillis        map[string]int64 `json:"analysis_ms,omitempty"` // per analysis, milliseconds (with Options.Timings)
}

// LinStats describe the porcupine check.
type LinStats struct {
	Partitions     int `json:"partitions"`            // partitions checked
	Operations     int `json:"operations"`            // porcupine operations (one per record sent, one per poll and key)
	SettledUnknown int `json:"settled_unknown_sends"` // sends of unknown outcome placed where a poll saw them
	DroppedUnknown int `json:"dropped_unknown_sends"` // sends of unknown outcome never seen, left out
	SkippedTxns    int `json:"skipped_txns"`          // transactions (not modelled; their keys are skipped)
	// PrecheckedPolls are polls (per partition) proven legal without the search: they
	// returned contiguous records whose sends had all returned before the poll began.
	PrecheckedPolls int `json:"prechecked_polls"`
	// DirectPartitions were larger than Options.PorcupineMaxOps and decided by the
	// direct algorithm instead of porcupine.
	DirectPartitions int      `json:"direct_partitions"`
	IllegalKeys      []string `json:"illegal_keys,omitempty"`   // partitions found not linearizable
	UnknownKeys      []string `json:"unknown_keys,omitempty"`   // partitions whose check timed out
	Visualizations   []string `json:"visualizations,omitempty"` // HTML files written
}

// finish computes the anomaly type lists and validity.
func (r *Result) finish(allowed map[string]bool) {
	r.AnomalyTypes = []string{}
	r.Errors = []string{}
	for t, list := range r.Anomalies {
		if len(list) == 0 {
			delete(r.Anomalies, t)
			continue
		}
		r.AnomalyTypes = append(r.AnomalyTypes, t)
		if allowed[t] {
			continue
		}
		for _, a := range list {
			if a.Excused == "" {
				r.Errors = append(r.Errors, t)
				break
			}
		}
	}
	sort.Strings(r.AnomalyTypes)
	sort.Strings(r.Errors)
	r.Valid = len(r.Errors) == 0
}

func ptr[T any](v T) *T { return &v }

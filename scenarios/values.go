package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"logsim/faults"
	"logsim/workloads"
)

// Millis is a Kafka *.ms setting: a whole number of milliseconds. It reads Kafka's form
// (30000) or a duration with a unit (30s), and prints Kafka's form. -1 and Kafka's
// "forever" value (9223372036854775807) keep their meaning for the settings that use
// them.
type Millis int64

// Forever is Kafka's Long.MAX_VALUE, "never" for flush and retention settings.
const Forever Millis = math.MaxInt64

func (Millis) syntax() string {
	return "milliseconds as Kafka writes them (30000), or a duration with a unit (30s, 500ms)"
}

// UnmarshalText reads milliseconds or a duration.
func (m *Millis) UnmarshalText(b []byte) error {
	t := strings.ReplaceAll(strings.TrimSpace(string(b)), "_", "")
	if v, err := strconv.ParseInt(t, 10, 64); err == nil {
		*m = Millis(v)
		return nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return fmt.Errorf("%q is not a number of milliseconds; accepted: %s", t, Millis(0).syntax())
	}
	if d%time.Millisecond != 0 {
		return fmt.Errorf("%q is not a whole number of milliseconds", t)
	}
	*m = Millis(d / time.Millisecond)
	return nil
}

func (m Millis) yamlValue() any { return int64(m) }

// Duration converts to a time.Duration, saturating: Forever and other huge values
// become the largest Duration.
func (m Millis) Duration() time.Duration {
	if m > Millis(math.MaxInt64/int64(time.Millisecond)) {
		return math.MaxInt64
	}
	return time.Duration(m) * time.Millisecond
}

// Bytes is a Kafka size setting in bytes. It reads Kafka's form (16384) or a size with
// a unit (16KiB, 1MB) and prints Kafka's form; -1 keeps its meaning (unlimited) where
// Kafka uses it.
type Bytes int64

func (Bytes) syntax() string {
	return "bytes as Kafka writes them (16384), or a size with a unit (16KiB, 1MB)"
}

// UnmarshalText reads a number of bytes or a size with a unit.
func (b *Bytes) UnmarshalText(text []byte) error {
	t := strings.TrimSpace(string(text))
	if v, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64); err == nil {
		*b = Bytes(v)
		return nil
	}
	v, err := workloads.ParseBytes(t)
	if err != nil {
		return err
	}
	*b = Bytes(v)
	return nil
}

func (b Bytes) yamlValue() any { return int64(b) }

// Size is a hardware size in bytes (RAM, disks). It reads 16384 or a size with a unit
// (32GiB, 2TB) and prints the largest exact unit.
type Size int64

func (Size) syntax() string { return "a size such as 32GiB or 2TB, or a number of bytes" }

// UnmarshalText reads a size.
func (s *Size) UnmarshalText(text []byte) error {
	v, err := workloads.ParseBytes(string(text))
	*s = Size(v)
	return err
}

// MarshalText prints the size with the largest unit that divides it exactly.
func (s Size) MarshalText() ([]byte, error) {
	v := int64(s)
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}} {
		if v != 0 && v%u.m == 0 {
			return []byte(strconv.FormatInt(v/u.m, 10) + u.s), nil
		}
	}
	return []byte(strconv.FormatInt(v, 10) + "B"), nil
}

// Bandwidth is a data rate in bytes per second. It reads 125MB/s, 1GiB/s, or bits per
// second with a lowercase b: 1Gb/s, 10Gbit/s, 25Gbps.
type Bandwidth int64

func (Bandwidth) syntax() string {
	return "a rate such as 125MB/s or 1GiB/s (bytes), or 1Gb/s, 25Gbit/s, 10Gbps (bits)"
}

// UnmarshalText reads a data rate.
func (bw *Bandwidth) UnmarshalText(text []byte) error {
	t := strings.TrimSpace(string(text))
	fail := fmt.Errorf("%q is not a bandwidth; accepted: %s", t, Bandwidth(0).syntax())
	num, bits := t, false
	switch {
	case strings.HasSuffix(t, "bps"):
		num, bits = strings.TrimSuffix(t, "bps"), true
	case strings.HasSuffix(t, "bit/s"):
		num, bits = strings.TrimSuffix(t, "bit/s"), true
	case strings.HasSuffix(t, "b/s"):
		num, bits = strings.TrimSuffix(t, "b/s"), true
	case strings.HasSuffix(t, "/s"):
		num = strings.TrimSuffix(t, "/s")
	default:
		return fail
	}
	if bits {
		mult := 1.0
		for _, u := range []struct {
			s string
			m float64
		}{{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}} {
			if strings.HasSuffix(num, u.s) {
				num, mult = strings.TrimSuffix(num, u.s), u.m
				break
			}
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) || v*mult > 1e18 {
			return fail
		}
		*bw = Bandwidth(math.Round(v * mult / 8))
		return nil
	}
	v, err := workloads.ParseBytes(num)
	if err != nil || v <= 0 {
		return fail
	}
	*bw = Bandwidth(v)
	return nil
}

// MarshalText prints the rate with the largest exact decimal unit (125MB/s).
func (bw Bandwidth) MarshalText() ([]byte, error) {
	v := int64(bw)
	for _, u := range []struct {
		s string
		m int64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}} {
		if v != 0 && v%u.m == 0 {
			return []byte(strconv.FormatInt(v/u.m, 10) + u.s + "/s"), nil
		}
	}
	return []byte(strconv.FormatInt(v, 10) + "B/s"), nil
}

// PerSecond is a throughput bound in records per second, written 50000/s.
type PerSecond float64

func (PerSecond) syntax() string { return "records per second, such as 50000/s or 50k/s" }

// UnmarshalText reads N/s.
func (p *PerSecond) UnmarshalText(text []byte) error {
	t := strings.TrimSpace(string(text))
	r, err := workloads.ParseRate(t)
	if err != nil || r.ClosedLoop() || r.Poisson() || strings.Contains(r.String(), "(") {
		return fmt.Errorf("%q is not a throughput; accepted: %s", t, PerSecond(0).syntax())
	}
	*p = PerSecond(r.Expected(time.Second))
	return nil
}

// MarshalText prints N/s.
func (p PerSecond) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(p), 'g', -1, 64) + "/s"), nil
}

// enumValue reads text as one of values, mapping aliases to their canonical value.
func enumValue(text string, what string, values []string, aliases map[string]string) (string, error) {
	t := strings.TrimSpace(text)
	if a, ok := aliases[t]; ok {
		t = a
	}
	for _, v := range values {
		if v == t {
			return v, nil
		}
	}
	msg := fmt.Sprintf("%q is not a valid %s; accepted: %s", text, what, strings.Join(values, ", "))
	if near, ok := nearest(t, values); ok {
		msg += "; did you mean " + near + "?"
	}
	return "", fmt.Errorf("%s", msg)
}

// Acks is the producer's acks setting: all (Kafka also writes -1), 1 or 0.
type Acks string

var acksValues = []string{"all", "1", "0"}

func (Acks) syntax() string { return "all (or -1), 1, 0" }

// UnmarshalText reads all, -1, 1 or 0.
func (a *Acks) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "acks", acksValues, map[string]string{"-1": "all"})
	*a = Acks(v)
	return err
}

// Compression is a producer's compression.type.
type Compression string

var compressionValues = []string{"none", "gzip", "snappy", "lz4", "zstd"}

func (Compression) syntax() string { return strings.Join(compressionValues, ", ") }

// UnmarshalText reads a codec name.
func (c *Compression) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "compression.type", compressionValues, nil)
	*c = Compression(v)
	return err
}

// BrokerCompression is a broker's or topic's compression.type: producer keeps what the
// producer sent; any other value recompresses.
type BrokerCompression string

var brokerCompressionValues = []string{"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}

func (BrokerCompression) syntax() string { return strings.Join(brokerCompressionValues, ", ") }

// UnmarshalText reads a broker compression.type.
func (c *BrokerCompression) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "compression.type", brokerCompressionValues, nil)
	*c = BrokerCompression(v)
	return err
}

// OffsetReset is auto.offset.reset.
type OffsetReset string

var offsetResetValues = []string{"earliest", "latest", "none"}

func (OffsetReset) syntax() string { return strings.Join(offsetResetValues, ", ") }

// UnmarshalText reads earliest, latest or none.
func (o *OffsetReset) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "auto.offset.reset", offsetResetValues, nil)
	*o = OffsetReset(v)
	return err
}

// Isolation is isolation.level.
type Isolation string

var isolationValues = []string{"read_uncommitted", "read_committed"}

func (Isolation) syntax() string { return strings.Join(isolationValues, ", ") }

// UnmarshalText reads read_uncommitted or read_committed.
func (i *Isolation) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "isolation.level", isolationValues, nil)
	*i = Isolation(v)
	return err
}

// Assignor is partition.assignment.strategy: the short name, or Kafka's class name.
type Assignor string

var assignorValues = []string{"range", "roundrobin", "sticky", "cooperative-sticky"}

func (Assignor) syntax() string {
	return strings.Join(assignorValues, ", ") + " (or Kafka's class names, such as org.apache.kafka.clients.consumer.RangeAssignor)"
}

// UnmarshalText reads an assignor name.
func (a *Assignor) UnmarshalText(b []byte) error {
	const pkg = "org.apache.kafka.clients.consumer."
	v, err := enumValue(string(b), "partition.assignment.strategy", assignorValues, map[string]string{
		pkg + "RangeAssignor": "range", pkg + "RoundRobinAssignor": "roundrobin",
		pkg + "StickyAssignor": "sticky", pkg + "CooperativeStickyAssignor": "cooperative-sticky",
	})
	*a = Assignor(v)
	return err
}

// Payload is the kind of bytes a producer's records carry; it matters for compression.
type Payload string

var payloadValues = []string{"random", "json", "log", "zeros"}

func (Payload) syntax() string { return strings.Join(payloadValues, ", ") + " (text is read as log)" }

// UnmarshalText reads a payload kind.
func (p *Payload) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "payload", payloadValues, map[string]string{"text": "log"})
	*p = Payload(v)
	return err
}

// CommitMode says when a consumer commits offsets.
type CommitMode string

// The commit modes.
const (
	// CommitAuto: Kafka's auto-commit (enable.auto.commit=true): offsets of polled
	// records are committed every auto.commit.interval.ms, processed or not.
	CommitAuto CommitMode = "auto"
	// CommitAfterProcessing: commit synchronously after processing each poll's records
	// (at-least-once).
	CommitAfterProcessing CommitMode = "after-processing"
	// CommitBeforeProcessing: commit synchronously before processing (at-most-once).
	CommitBeforeProcessing CommitMode = "before-processing"
	// CommitAsync: commitAsync after processing, without waiting for the result.
	CommitAsync CommitMode = "async"
	// CommitNone: never commit (assign-mode readers without a group).
	CommitNone CommitMode = "none"
	// CommitAsyncWorker: auto-commit while a worker processes polled records
	// asynchronously, so offsets may be committed before their records are processed
	// (a crash then loses them for the group).
	CommitAsyncWorker CommitMode = "async-worker"
)

// AutoCommits reports whether the mode relies on enable.auto.commit.
func (c CommitMode) AutoCommits() bool { return c == CommitAuto || c == CommitAsyncWorker }

var commitValues = []string{"auto", "after-processing", "before-processing", "async", "async-worker", "none"}

func (CommitMode) syntax() string { return strings.Join(commitValues, ", ") }

// UnmarshalText reads a commit mode.
func (c *CommitMode) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "commit mode", commitValues, nil)
	*c = CommitMode(v)
	return err
}

// MarshalText prints acks.
func (a Acks) MarshalText() ([]byte, error) { return []byte(a), nil }

// MarshalText prints the codec.
func (c Compression) MarshalText() ([]byte, error) { return []byte(c), nil }

// MarshalText prints the broker codec setting.
func (c BrokerCompression) MarshalText() ([]byte, error) { return []byte(c), nil }

// MarshalText prints the reset policy.
func (o OffsetReset) MarshalText() ([]byte, error) { return []byte(o), nil }

// MarshalText prints the isolation level.
func (i Isolation) MarshalText() ([]byte, error) { return []byte(i), nil }

// MarshalText prints the assignor's short name.
func (a Assignor) MarshalText() ([]byte, error) { return []byte(a), nil }

// MarshalText prints the payload kind.
func (p Payload) MarshalText() ([]byte, error) { return []byte(p), nil }

// MarshalText prints the commit mode.
func (c CommitMode) MarshalText() ([]byte, error) { return []byte(c), nil }

// accepted describes what a value of type t may be, for errors and the reference.
func accepted(t reflect.Type) string {
	if s, ok := reflect.Zero(t).Interface().(interface{ syntax() string }); ok {
		return s.syntax()
	}
	switch t {
	case durationType:
		return "a duration such as 60s, 500ms or 1m30s"
	case reflect.TypeFor[workloads.Rate]():
		return workloads.RateSyntax
	case reflect.TypeFor[workloads.Size]():
		return workloads.SizeSyntax
	case reflect.TypeFor[workloads.Delay]():
		return workloads.DelaySyntax
	case reflect.TypeFor[workloads.Keys]():
		return workloads.KeysSyntax
	case reflect.TypeFor[faults.Selector](), reflect.TypeFor[faults.Selectors]():
		return "a selector or a list of selectors: " + faults.SelectorSyntax
	case reflect.TypeFor[faults.Kind]():
		var names []string
		for _, k := range faults.Kinds() {
			names = append(names, string(k))
		}
		return strings.Join(names, ", ")
	case reflect.TypeFor[faults.Topology]():
		return "halves, majorities-ring, bridge"
	case reflect.TypeFor[faults.ClientSide]():
		return "both, isolated, rest"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true, false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer >= 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list of: " + accepted(t.Elem())
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.Pointer:
		return accepted(t.Elem())
	}
	return t.String()
}

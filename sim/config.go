package sim

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// LatencyKind names a latency distribution.
type LatencyKind string

// The latency distributions. Each uses a subset of Latency's fields.
const (
	// Constant: always Value. The zero Latency is Constant 0.
	Constant LatencyKind = "constant"
	// Uniform: uniform in [Min, Max].
	Uniform LatencyKind = "uniform"
	// Exponential: an exponential draw of mean Mean, raised to the floor Min and, when
	// Max > 0, capped at Max (TigerBeetle's packet delay: max(min, Exp(mean))). The draw
	// is the same on every platform (see ExpFloat64).
	Exponential LatencyKind = "exponential"
	// Mixture: FoundationDB's network latency. With probability 1-SlowProbability
	// uniform in [Min, Max] (the fast path); otherwise uniform in [Min, SlowMax] (the
	// rare long tail).
	Mixture LatencyKind = "mixture"
)

// Latency is a latency distribution given as data, so that hardware profiles and
// scenario files can name it. All durations are virtual time; in YAML they are Go
// duration strings such as "250us" or "2ms".
type Latency struct {
	// Kind is the distribution: constant (the default when empty), uniform,
	// exponential or mixture.
	Kind LatencyKind `yaml:"kind,omitempty"`
	// Value is the constant latency (constant only).
	Value time.Duration `yaml:"value,omitempty"`
	// Min is the lower bound (uniform, mixture) or floor (exponential).
	Min time.Duration `yaml:"min,omitempty"`
	// Max is the upper bound (uniform, mixture's fast path) or the cap (exponential;
	// 0 means no cap).
	Max time.Duration `yaml:"max,omitempty"`
	// Mean is the exponential's mean before the floor applies (exponential only).
	Mean time.Duration `yaml:"mean,omitempty"`
	// SlowProbability is the chance of a draw from the slow tail, in [0, 1] (mixture
	// only; FoundationDB uses 0.001).
	SlowProbability float64 `yaml:"slow-probability,omitempty"`
	// SlowMax is the upper bound of the slow tail (mixture only; FoundationDB: 100ms).
	SlowMax time.Duration `yaml:"slow-max,omitempty"`
}

// ConstantLatency returns the distribution that always yields d.
func ConstantLatency(d time.Duration) Latency { return Latency{Kind: Constant, Value: d} }

// UniformLatency returns the uniform distribution on [lo, hi].
func UniformLatency(lo, hi time.Duration) Latency { return Latency{Kind: Uniform, Min: lo, Max: hi} }

// ExponentialLatency returns max(floor, Exp(mean)), uncapped.
func ExponentialLatency(floor, mean time.Duration) Latency {
	return Latency{Kind: Exponential, Min: floor, Mean: mean}
}

// FDBLatency returns FoundationDB's simulated LAN latency: 100us to 800us with
// probability 0.999, else 100us to 100ms.
func FDBLatency() Latency {
	return Latency{Kind: Mixture, Min: 100 * time.Microsecond, Max: 800 * time.Microsecond,
		SlowProbability: 0.001, SlowMax: 100 * time.Millisecond}
}

// Validate checks the distribution; field names in errors are prefixed with path (such
// as "network.latency").
func (l Latency) Validate(path string) error {
	nonNeg := func(name string, d time.Duration) error {
		if d < 0 {
			return fmt.Errorf("%s.%s: %v is negative; a latency must be 0 or more", path, name, d)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"value", l.Value}, {"min", l.Min}, {"max", l.Max}, {"mean", l.Mean}, {"slow-max", l.SlowMax}} {
		if err := nonNeg(f.name, f.d); err != nil {
			return err
		}
	}
	if err := checkProbability(path+".slow-probability", l.SlowProbability); err != nil {
		return err
	}
	switch l.Kind {
	case "", Constant:
	case Uniform:
		if l.Max < l.Min {
			return fmt.Errorf("%s.max: %v is below min %v; uniform needs min <= max", path, l.Max, l.Min)
		}
	case Exponential:
		if l.Max != 0 && l.Max < l.Min {
			return fmt.Errorf("%s.max: cap %v is below the floor min %v; use 0 for no cap or a cap >= min", path, l.Max, l.Min)
		}
	case Mixture:
		if l.Max < l.Min {
			return fmt.Errorf("%s.max: %v is below min %v; mixture needs min <= max <= slow-max", path, l.Max, l.Min)
		}
		if l.SlowMax < l.Max {
			return fmt.Errorf("%s.slow-max: %v is below max %v; mixture needs min <= max <= slow-max", path, l.SlowMax, l.Max)
		}
	default:
		return fmt.Errorf("%s.kind: unknown distribution %q; accepted: constant, uniform, exponential, mixture", path, l.Kind)
	}
	return nil
}

// Sample draws one latency from r. It does not allocate.
func (l *Latency) Sample(r *rand.Rand) time.Duration {
	switch l.Kind {
	case Uniform:
		return uniform(r, l.Min, l.Max)
	case Exponential:
		d := time.Duration(ExpFloat64(r) * float64(l.Mean))
		d = max(d, l.Min)
		if l.Max > 0 {
			d = min(d, l.Max)
		}
		return d
	case Mixture:
		if l.SlowProbability > 0 && r.Float64() < l.SlowProbability {
			return uniform(r, l.Min, l.SlowMax)
		}
		return uniform(r, l.Min, l.Max)
	}
	return l.Value
}

// String describes the distribution for summaries, such as "uniform(100µs..800µs)".
func (l Latency) String() string {
	switch l.Kind {
	case Uniform:
		return fmt.Sprintf("uniform(%v..%v)", l.Min, l.Max)
	case Exponential:
		if l.Max > 0 {
			return fmt.Sprintf("exponential(mean %v, min %v, max %v)", l.Mean, l.Min, l.Max)
		}
		return fmt.Sprintf("exponential(mean %v, min %v)", l.Mean, l.Min)
	case Mixture:
		return fmt.Sprintf("mixture(%v..%v, p=%v slow up to %v)", l.Min, l.Max, l.SlowProbability, l.SlowMax)
	}
	return fmt.Sprintf("constant(%v)", l.Value)
}

func uniform(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

func checkProbability(path string, p float64) error {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return fmt.Errorf("%s: %v is not a probability; accepted: a number in [0, 1]", path, p)
	}
	return nil
}

// NetworkConfig is the default for every link; SetLink overrides single links.
type NetworkConfig struct {
	// Latency is the one-way propagation delay of each message. Default: constant 0.
	Latency Latency `yaml:"latency"`
	// Bandwidth of each directed link in bytes per second; a message occupies its link
	// for Size/Bandwidth, and messages queue behind each other. 0 means unlimited
	// (the default).
	Bandwidth int64 `yaml:"bandwidth,omitempty"`
	// ConnectTimeout is how long a Send across a symmetric partition takes to fail
	// with Disconnected (Kafka's socket.connection.setup.timeout.ms, 10s). Default 0:
	// after a round trip (two latency draws), as a refused connection; a Send to a node
	// whose process is down is always refused after a round trip.
	ConnectTimeout time.Duration `yaml:"connect-timeout,omitempty"`
	// StallTimeout resets a connection stalled (one-way partition) for this long, as
	// TCP gives up retransmitting. 0 (the default) keeps a stalled connection until
	// the partition heals.
	StallTimeout time.Duration `yaml:"stall-timeout,omitempty"`
}

// DefaultNetworkConfig is a datacenter LAN: FoundationDB's latency mixture and 10 Gb/s
// links.
func DefaultNetworkConfig() NetworkConfig {
	return NetworkConfig{Latency: FDBLatency(), Bandwidth: 10e9 / 8}
}

// Validate checks the configuration; errors name the field under path.
func (c NetworkConfig) Validate(path string) error {
	if err := c.Latency.Validate(path + ".latency"); err != nil {
		return err
	}
	if c.Bandwidth < 0 {
		return fmt.Errorf("%s.bandwidth: %d is negative; accepted: bytes per second > 0, or 0 for unlimited", path, c.Bandwidth)
	}
	if c.ConnectTimeout < 0 {
		return fmt.Errorf("%s.connect-timeout: %v is negative; accepted: a duration >= 0", path, c.ConnectTimeout)
	}
	if c.StallTimeout < 0 {
		return fmt.Errorf("%s.stall-timeout: %v is negative; accepted: a duration >= 0 (0 = never reset)", path, c.StallTimeout)
	}
	return nil
}

// LinkConfig overrides the latency and bandwidth of one directed link.
type LinkConfig struct {
	// Latency is the link's one-way delay distribution.
	Latency Latency `yaml:"latency"`
	// Bandwidth in bytes per second; 0 means unlimited.
	Bandwidth int64 `yaml:"bandwidth,omitempty"`
}

// Validate checks the link configuration.
func (c LinkConfig) Validate(path string) error {
	if err := c.Latency.Validate(path + ".latency"); err != nil {
		return err
	}
	if c.Bandwidth < 0 {
		return fmt.Errorf("%s.bandwidth: %d is negative; accepted: bytes per second > 0, or 0 for unlimited", path, c.Bandwidth)
	}
	return nil
}

// DiskProfile describes a node's storage device. The device serves one operation at a
// time, in order of issue: an operation starts when the previous one ends.
type DiskProfile struct {
	// OpLatency is the fixed cost of each append, truncate or delete (seek, queueing in
	// the device). Default: constant 0.
	OpLatency Latency `yaml:"op-latency"`
	// SyncLatency is the cost of an fsync. Default: constant 0.
	SyncLatency Latency `yaml:"sync-latency"`
	// Bandwidth is the write bandwidth in bytes per second; an append of Size bytes
	// adds Size/Bandwidth. 0 means unlimited (the default).
	Bandwidth int64 `yaml:"bandwidth,omitempty"`
	// Capacity is the size of the disk in bytes; an append that would exceed it fails
	// with ErrDiskFull. 0 means unlimited (the default).
	Capacity int64 `yaml:"capacity,omitempty"`
	// TornWriteProbability is the chance, per file with unsynced appends, that a power
	// loss leaves the first unsynced entry torn at a 512-byte or 4 KiB boundary rather
	// than absent. In [0, 1]; default 0.
	TornWriteProbability float64 `yaml:"torn-write-probability,omitempty"`
	// Writeback is how long appended data stays only in the page cache before the
	// kernel writes it back on its own, as Linux's dirty_expire_centisecs (30s) does:
	// data written back survives a power loss without a Sync. The kernel looks every
	// Writeback, so data becomes durable between one and two Writeback after it was
	// appended. 0 (the default) never writes back: only Sync makes data durable.
	Writeback time.Duration `yaml:"writeback,omitempty"`
}

// DefaultDiskProfile is a datacenter NVMe SSD under Linux's default writeback: about
// 20us per write, 1 GB/s, fsync in 100us to 1ms, dirty data written back after 30s,
// the first unsynced entry torn by half of the power losses.
func DefaultDiskProfile() DiskProfile {
	return DiskProfile{
		OpLatency:            UniformLatency(10*time.Microsecond, 30*time.Microsecond),
		SyncLatency:          UniformLatency(100*time.Microsecond, time.Millisecond),
		Bandwidth:            1e9,
		TornWriteProbability: 0.5,
		Writeback:            30 * time.Second,
	}
}

// Validate checks the profile; errors name the field under path.
func (d DiskProfile) Validate(path string) error {
	if err := d.OpLatency.Validate(path + ".op-latency"); err != nil {
		return err
	}
	if err := d.SyncLatency.Validate(path + ".sync-latency"); err != nil {
		return err
	}
	if d.Bandwidth < 0 {
		return fmt.Errorf("%s.bandwidth: %d is negative; accepted: bytes per second > 0, or 0 for unlimited", path, d.Bandwidth)
	}
	if d.Capacity < 0 {
		return fmt.Errorf("%s.capacity: %d is negative; accepted: bytes > 0, or 0 for unlimited", path, d.Capacity)
	}
	if d.Writeback < 0 {
		return fmt.Errorf("%s.writeback: %v is negative; accepted: a duration > 0, or 0 for no writeback", path, d.Writeback)
	}
	return checkProbability(path+".torn-write-probability", d.TornWriteProbability)
}

// NodeConfig is the hardware of one node.
type NodeConfig struct {
	// Cores is the number of CPU cores that run the node's handlers' charged work in
	// parallel. Default (0): 1.
	Cores int `yaml:"cores,omitempty"`
	// NICBandwidth is the node's network interface in bytes per second in each
	// direction (full duplex), shared by all its connections: outbound messages leave
	// one after another at this rate before they enter their link, and inbound ones
	// are taken in one after another at this rate (1 Gb Ethernet: 125000000). 0 means
	// unlimited (the default).
	NICBandwidth int64 `yaml:"nic-bandwidth,omitempty"`
	// Disk is the node's storage device.
	Disk DiskProfile `yaml:"disk"`
}

// Validate checks the node's configuration; errors name the field under path.
func (c NodeConfig) Validate(path string) error {
	if c.Cores < 0 || c.Cores > 1024 {
		return fmt.Errorf("%s.cores: %d is out of range; accepted: 1 to 1024, or 0 for the default 1", path, c.Cores)
	}
	if c.NICBandwidth < 0 {
		return fmt.Errorf("%s.nic-bandwidth: %d is negative; accepted: bytes per second > 0, or 0 for unlimited", path, c.NICBandwidth)
	}
	return c.Disk.Validate(path + ".disk")
}

// Config configures a simulation.
type Config struct {
	// Seed is the master seed every random stream derives from.
	Seed uint64
	// Network is the default for every link.
	Network NetworkConfig
	// Trace, when set, receives one canonical line per dispatched event and the
	// Env.Logf lines. Tracing is slow; leave it nil for benchmarks and sweeps.
	Trace io.Writer
}

// Validate checks the configuration.
func (c Config) Validate() error { return c.Network.Validate("network") }

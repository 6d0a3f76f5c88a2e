package sim

import (
	"math"
	"math/rand/v2"
)

// Streams derives independent random streams from one master seed. A stream is named
// ("network", "node/b1", "disk/b1", "faults", "workload/orders"); its PCG state depends
// only on (seed, name), so adding a node or a workload leaves every other stream's draws
// unchanged. The same name always returns the same *rand.Rand, which continues where it
// left off.
type Streams struct {
	seed    uint64
	streams map[string]*rand.Rand
}

// NewStreams returns the streams of a master seed.
func NewStreams(seed uint64) *Streams {
	return &Streams{seed: seed, streams: map[string]*rand.Rand{}}
}

// Seed is the master seed.
func (s *Streams) Seed() uint64 { return s.seed }

// Get returns the stream called name, creating it on first use.
func (s *Streams) Get(name string) *rand.Rand {
	if r, ok := s.streams[name]; ok {
		return r
	}
	r := NewStream(s.seed, name)
	s.streams[name] = r
	return r
}

// NewStream returns a fresh stream for (seed, name), independent of any Streams value.
func NewStream(seed uint64, name string) *rand.Rand {
	h := fnv64(name)
	return rand.New(rand.NewPCG(splitmix64(seed^h), splitmix64(h+0x9e3779b97f4a7c15)))
}

// fnv64 is FNV-1a over the bytes of s.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// splitmix64 scrambles x so that nearby seeds give unrelated PCG states.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ExpFloat64 returns an exponentially distributed number with rate 1 (mean 1), drawn
// from r. Unlike rand.ExpFloat64 it gives the same value on every machine: it uses only
// IEEE-exact arithmetic (math.Exp and math.Log have assembly versions on amd64 whose
// results depend on the CPU's features). Workloads and fault schedules that need
// exponential gaps should use it too.
func ExpFloat64(r *rand.Rand) float64 {
	return -ln(1 - r.Float64()) // 1-Float64 is in (0, 1]
}

// ln is the natural logarithm of x > 0, computed with +, -, * and / only, each
// rounded on its own (the conversions forbid fused multiply-adds), so that it is
// bit-for-bit the same on every platform. Accurate to a few ulps.
func ln(x float64) float64 {
	m, e := math.Frexp(x) // x = m * 2^e, m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	// ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m-1)/(m+1), |s| < 0.172.
	s := (m - 1) / (m + 1)
	s2 := float64(s * s)
	sum, term := 0.0, s
	for k := 1.0; k < 26; k += 2 {
		sum = float64(sum + float64(term/k))
		term = float64(term * s2)
	}
	return float64(2*sum) + float64(float64(e)*math.Ln2)
}

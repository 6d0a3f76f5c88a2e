package sim

import "math/rand/v2"

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

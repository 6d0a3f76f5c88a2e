package sim

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"logsim/broker/node"
)

// ticker keeps `timers` timers pending: each firing re-arms one with a random delay.
type ticker struct {
	env    node.Env
	timers int
}

func (m *ticker) Start(env node.Env, restart bool) {
	m.env = env
	for i := 0; i < m.timers; i++ {
		env.After(time.Duration(env.Rand().Int64N(int64(time.Millisecond))), node.Timer{Kind: 1, Arg: int64(i)})
	}
}

func (m *ticker) Handle(ev node.Event) {
	m.env.After(time.Duration(m.env.Rand().Int64N(int64(time.Millisecond))), ev.Timer)
}

// BenchmarkSimTimerEvents schedules and dispatches timer events with 4000 pending
// (10 nodes with 400 timers each). Target: 5M events/s or more, 0 allocs/event.
func BenchmarkSimTimerEvents(b *testing.B) {
	s, err := New(Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := s.AddNode(fmt.Sprintf("n%d", i), NodeConfig{}, func() node.Machine { return &ticker{timers: 400} }); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	if _, err := s.RunEvents(500_000); err != nil { // warm up: slab and queue at full size
		b.Fatal(err)
	}
	measure(b, s, "events")
}

// relay forwards every message it receives to a random other node.
type relay struct {
	env   node.Env
	nodes int
	seed  []*msg
}

func (m *relay) Start(env node.Env, restart bool) {
	m.env = env
	for _, x := range m.seed {
		m.forward(x)
	}
}

func (m *relay) forward(x node.Message) {
	to := node.ID(m.env.Rand().IntN(m.nodes - 1))
	if to >= m.env.ID() {
		to++
	}
	m.env.Send(to, x)
}

func (m *relay) Handle(ev node.Event) { m.forward(ev.Msg) }

// BenchmarkSimNetworkMessages sends and delivers messages over FIFO links with random
// latency among 10 nodes, 1000 messages in flight. Target: 2M msgs/s or more.
func BenchmarkSimNetworkMessages(b *testing.B) {
	cfg := Config{Seed: 1, Network: NetworkConfig{Latency: UniformLatency(100*time.Microsecond, time.Millisecond), Bandwidth: 1e9}}
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	const nodes = 10
	for i := 0; i < nodes; i++ {
		seed := make([]*msg, 100)
		for j := range seed {
			seed[j] = &msg{Seq: i*100 + j, Bytes: 1000}
		}
		if _, err := s.AddNode(fmt.Sprintf("n%d", i), NodeConfig{}, func() node.Machine { return &relay{nodes: nodes, seed: seed} }); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	if _, err := s.RunEvents(500_000); err != nil {
		b.Fatal(err)
	}
	measure(b, s, "msgs")
}

// measure dispatches b.N events and reports their rate per second of wall time
// ("<unit>/s", the target) and per second of CPU time used by the process
// ("<unit>/cpu-s"), which stays meaningful on a machine shared with other work.
func measure(b *testing.B, s *Sim, unit string) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	n, err := s.RunEvents(b.N)
	b.StopTimer()
	if err != nil || n != b.N {
		b.Fatal(n, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), unit+"/cpu-s")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

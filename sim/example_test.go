package sim_test

import (
	"fmt"
	"time"

	"logsim/broker/node"
	"logsim/sim"
)

// ping is a message; Size is what the network charges bandwidth by.
type ping struct{ n int }

func (ping) Kind() string { return "Ping" }
func (ping) Size() int    { return 100 }

// pinger sends a ping to its peer every 100ms; ponger echoes each ping back.
type pinger struct {
	env    node.Env
	peer   node.ID
	rounds int
}

func (p *pinger) Start(env node.Env, restart bool) {
	p.env = env
	env.After(100*time.Millisecond, node.Timer{Kind: 1})
}

func (p *pinger) Handle(ev node.Event) {
	switch ev.Kind {
	case node.TimerFired:
		p.env.Send(p.peer, ping{n: p.rounds})
		p.env.After(100*time.Millisecond, node.Timer{Kind: 1})
	case node.Recv:
		p.rounds++
	}
}

type ponger struct{ env node.Env }

func (p *ponger) Start(env node.Env, restart bool) { p.env = env }

func (p *ponger) Handle(ev node.Event) {
	if ev.Kind == node.Recv {
		p.env.Charge(50 * time.Microsecond) // the work of handling it
		p.env.Send(ev.From, ev.Msg)
	}
}

// A two-node simulation: a pinger and a ponger on a LAN, run for one virtual second.
func Example() {
	s, err := sim.New(sim.Config{Seed: 1, Network: sim.NetworkConfig{Latency: sim.ConstantLatency(time.Millisecond)}})
	if err != nil {
		panic(err)
	}
	b, _ := s.AddNode("b", sim.NodeConfig{}, func() node.Machine { return &ponger{} })
	a, _ := s.AddNode("a", sim.NodeConfig{Cores: 2}, func() node.Machine { return &pinger{peer: b} })
	if err := s.Start(); err != nil {
		panic(err)
	}
	if err := s.Run(time.Second); err != nil {
		panic(err)
	}
	st, _ := s.Stats(b)
	fmt.Println("rounds:", s.Machine(a).(*pinger).rounds)
	fmt.Println("b handled:", st.MessagesReceived, "busy:", st.CPUBusy)
	// Output:
	// rounds: 9
	// b handled: 9 busy: 450µs
}

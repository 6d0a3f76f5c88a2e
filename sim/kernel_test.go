package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

func TestQueueOrderByTimeThenInsertion(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	w.do(0, func(env node.Env) {
		env.After(ms(3), node.Timer{Kind: 1, Arg: 1})
		env.After(ms(1), node.Timer{Kind: 1, Arg: 2})
		env.After(ms(3), node.Timer{Kind: 1, Arg: 3}) // same instant as Arg 1: after it
		env.After(ms(2), node.Timer{Kind: 1, Arg: 4})
		env.After(0, node.Timer{Kind: 1, Arg: 5})
	})
	w.run(ms(10))
	var args []int64
	var at []time.Duration
	for _, g := range w.m(0).own {
		args = append(args, g.Ev.Timer.Arg)
		at = append(at, g.At)
	}
	assert.Equal(t, []int64{5, 2, 4, 1, 3}, args)
	assert.Equal(t, []time.Duration{0, ms(1), ms(2), ms(3), ms(3)}, at)
	assert.Equal(t, 0, w.s.Pending())
}

func TestAtCallbacksInterleaveWithEvents(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	var order []string
	w.s.At(ms(2), func() { order = append(order, "cb2") })
	w.do(0, func(env node.Env) { env.After(ms(2), node.Timer{Arg: 1}) })
	w.m(0).onEvent = func(r *rec, ev node.Event) { order = append(order, "timer") }
	w.s.At(ms(2), func() { order = append(order, "cb2b") })
	w.s.At(ms(1), func() { order = append(order, "cb1") })
	w.run(ms(5))
	assert.Equal(t, []string{"cb1", "cb2", "timer", "cb2b"}, order)
	assert.Equal(t, ms(5), w.s.Now())
}

func TestTimerCancel(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	var keep, drop node.TimerID
	w.do(0, func(env node.Env) {
		drop = env.After(ms(1), node.Timer{Arg: 1})
		keep = env.After(ms(2), node.Timer{Arg: 2})
	})
	require.NotZero(t, drop)
	require.NotEqual(t, keep, drop)
	w.do(0, func(env node.Env) { env.Cancel(drop) })
	assert.Equal(t, 1, w.s.Pending())
	w.run(ms(5))
	require.Len(t, w.m(0).own, 1)
	assert.Equal(t, int64(2), w.m(0).own[0].Ev.Timer.Arg)
	// Cancelling a fired timer, or one of another node, does nothing.
	w.do(0, func(env node.Env) {
		env.Cancel(keep)
		env.Cancel(drop)
		env.Cancel(0)
		env.Cancel(node.TimerID(1<<40 | 12345))
		env.After(ms(1), node.Timer{Arg: 3})
	})
	w.run(ms(10))
	assert.Len(t, w.m(0).own, 2)
}

func TestCancelOfAnotherNodesTimerIsIgnored(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 2, NodeConfig{})
	var id node.TimerID
	w.do(0, func(env node.Env) { id = env.After(ms(1), node.Timer{Arg: 1}) })
	w.do(1, func(env node.Env) { env.Cancel(id) })
	w.run(ms(2))
	assert.Len(t, w.m(0).own, 1)
}

func TestRunEventsStepAndQuiescence(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	w.do(0, func(env node.Env) {
		for i := 1; i <= 5; i++ {
			env.After(time.Duration(i)*time.Millisecond, node.Timer{Arg: int64(i)})
		}
	})
	n, err := w.s.RunEvents(2)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, ms(2), w.s.Now())
	ran, err := w.s.Step()
	require.NoError(t, err)
	assert.True(t, ran)
	assert.Equal(t, ms(3), w.s.Now())
	quiet, err := w.s.RunUntilQuiescent(time.Hour)
	require.NoError(t, err)
	assert.True(t, quiet)
	assert.Len(t, w.m(0).own, 5)
	ran, err = w.s.Step()
	require.NoError(t, err)
	assert.False(t, ran)

	ok, err := w.s.RunUntil(time.Hour, func() bool { return len(w.m(0).own) == 5 })
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestPanicBecomesFailure(t *testing.T) {
	var trace bytes.Buffer
	w := newWorld(t, Config{Seed: 42, Trace: &trace, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}, 2, NodeConfig{})
	w.m(1).onEvent = func(r *rec, ev node.Event) {
		if ev.Kind == node.Recv {
			panic("invariant broken: HW > LEO")
		}
	}
	w.send(0, 1, 7, 10)
	err := w.s.RunFor(time.Second)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, uint64(42), f.Seed)
	assert.Equal(t, node.ID(1), f.Node)
	assert.Equal(t, "n1", f.NodeName)
	assert.Equal(t, "recv Msg from n0", f.Event)
	assert.Equal(t, "invariant broken: HW > LEO", f.Value)
	assert.Contains(t, f.Stack, "kernel_test.go")
	assert.Contains(t, f.Error(), "node n1 panicked at 0.001000000s handling recv Msg from n0 (seed 42")
	assert.Equal(t, "logsim run x.yaml --seed 42", f.Repro("x.yaml"))
	assert.Contains(t, trace.String(), "FAILURE invariant broken")
	// The run stays failed.
	assert.Same(t, f, w.s.Failure())
	assert.ErrorIs(t, w.s.RunFor(time.Second), f)
}

func TestPanicInCallbackAndStart(t *testing.T) {
	s, err := New(Config{Seed: 3})
	require.NoError(t, err)
	s.At(ms(5), func() { panic("bad schedule") })
	err = s.Run(time.Second)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, node.None, f.Node)
	assert.Equal(t, "callback", f.Event)
	assert.Equal(t, ms(5), f.Time)

	s, err = New(Config{Seed: 3})
	require.NoError(t, err)
	_, err = s.AddNode("x", NodeConfig{}, func() node.Machine {
		return &rec{onStart: func(r *rec, restart bool) { panic("no disk") }}
	})
	require.NoError(t, err)
	require.ErrorAs(t, s.Start(), &f)
	assert.Equal(t, "x", f.NodeName)
}

func TestTraceLines(t *testing.T) {
	var trace bytes.Buffer
	w := newWorld(t, Config{Seed: 1, Trace: &trace, Network: NetworkConfig{Latency: ConstantLatency(ms(1))}}, 2, NodeConfig{})
	w.do(0, func(env node.Env) {
		env.Logf("hello %d", 5)
		env.Send(1, &msg{Seq: 1, Bytes: 64})
		env.After(ms(2), node.Timer{Kind: 3, Arg: 9})
	})
	w.run(ms(3))
	want := []string{
		"0.000000000s n0 start",
		"0.000000000s n1 start",
		"0.000000000s n0 exec",
		"0.000000000s n0 log hello 5",
		"0.001000000s n1 recv from=n0 Msg size=64",
		"0.002000000s n0 timer kind=3 arg=9",
	}
	assert.Equal(t, want, strings.Split(strings.TrimSpace(trace.String()), "\n"))
}

func TestPanicInRestartFromCallbackStopsTheRun(t *testing.T) {
	s, err := New(Config{Seed: 5})
	require.NoError(t, err)
	starts := 0
	_, err = s.AddNode("x", NodeConfig{}, func() node.Machine {
		return &rec{onStart: func(r *rec, restart bool) {
			starts++
			if restart {
				panic("cannot recover the log")
			}
			r.env.After(time.Second, node.Timer{Arg: 1})
		}}
	})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	s.At(ms(10), func() { require.NoError(t, s.Crash(0)) })
	s.At(ms(20), func() { _ = s.Restart(0) })
	ran := false
	s.At(ms(30), func() { ran = true })
	err = s.Run(time.Minute)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, ms(20), f.Time)
	assert.Equal(t, "x", f.NodeName)
	assert.False(t, ran, "the run stopped at the failure")
	assert.Equal(t, 2, starts)
}

func TestFailureNamesStartAndPostedFunctions(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	require.NoError(t, w.s.Post(0, func() { panic("boom") }))
	var f *Failure
	require.ErrorAs(t, w.s.Run(time.Second), &f)
	assert.Equal(t, "a posted function", f.Event)

	s, err := New(Config{Seed: 1})
	require.NoError(t, err)
	_, err = s.AddNode("x", NodeConfig{}, func() node.Machine {
		return &rec{onStart: func(r *rec, restart bool) {
			if restart {
				panic("boom")
			}
		}}
	})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	require.NoError(t, s.Crash(0))
	require.ErrorAs(t, s.Restart(0), &f)
	assert.Equal(t, "Start(restart=true)", f.Event)
}

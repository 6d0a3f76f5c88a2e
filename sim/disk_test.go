package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

func entry(i, size int) node.Entry {
	return node.Entry{Data: i, Size: int32(size), Sum: uint32(1000 + i)}
}

// contents lists the Data of file's entries on node id, as the page cache holds them.
func contents(t *testing.T, w *world, id node.ID, file string) []int {
	t.Helper()
	es, err := w.s.nodes[id].disk.Read(file, 0)
	if err == node.ErrNotFound {
		return nil
	}
	require.NoError(t, err)
	out := []int{}
	for _, e := range es {
		out = append(out, e.Data.(int))
	}
	return out
}

// TestDiskCrashVersusPowerLoss is the table of what survives each kind of failure.
func TestDiskCrashVersusPowerLoss(t *testing.T) {
	type step func(d node.Disk)
	appendN := func(file string, from, to int) step {
		return func(d node.Disk) {
			for i := from; i <= to; i++ {
				d.Append(file, entry(i, 100))
			}
		}
	}
	sync := func(file string) step { return func(d node.Disk) { d.Sync(file) } }
	trunc := func(file string, n int) step { return func(d node.Disk) { d.Truncate(file, n) } }
	del := func(file string) step { return func(d node.Disk) { d.Delete(file) } }
	wait := step(nil) // let everything issued so far complete
	cases := []struct {
		name      string
		steps     []step
		crash     map[string][]int // what a process crash leaves
		powerLoss map[string][]int // what a power loss leaves
	}{
		{"unsynced appends", []step{appendN("a", 1, 3), wait},
			map[string][]int{"a": {1, 2, 3}}, map[string][]int{}},
		{"synced then more", []step{appendN("a", 1, 2), sync("a"), wait, appendN("a", 3, 4), wait},
			map[string][]int{"a": {1, 2, 3, 4}}, map[string][]int{"a": {1, 2}}},
		{"sync in flight", []step{appendN("a", 1, 2), sync("a")},
			map[string][]int{"a": {1, 2}}, map[string][]int{}},
		{"truncate unsynced", []step{appendN("a", 1, 4), sync("a"), wait, trunc("a", 1), wait},
			map[string][]int{"a": {1}}, map[string][]int{"a": {1, 2, 3, 4}}},
		{"truncate synced", []step{appendN("a", 1, 4), sync("a"), wait, trunc("a", 1), appendN("a", 7, 7), sync("a"), wait},
			map[string][]int{"a": {1, 7}}, map[string][]int{"a": {1, 7}}},
		{"delete completes", []step{appendN("a", 1, 2), sync("a"), wait, del("a"), wait},
			map[string][]int{}, map[string][]int{}},
		{"delete in flight", []step{appendN("a", 1, 2), sync("a"), wait, del("a")},
			map[string][]int{}, map[string][]int{"a": {1, 2}}},
		{"two files", []step{appendN("a", 1, 1), sync("a"), appendN("b", 2, 2), wait},
			map[string][]int{"a": {1}, "b": {2}}, map[string][]int{"a": {1}}},
		{"sync covers only earlier appends", []step{appendN("a", 1, 1), sync("a"), appendN("a", 2, 2), wait},
			map[string][]int{"a": {1, 2}}, map[string][]int{"a": {1}}},
	}
	for _, c := range cases {
		for _, power := range []bool{false, true} {
			disk := DiskProfile{OpLatency: ConstantLatency(ms(1)), SyncLatency: ConstantLatency(ms(5))}
			w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{Disk: disk})
			for _, st := range c.steps {
				if st == nil {
					w.run(w.s.Now() + time.Second)
					continue
				}
				w.do(0, func(env node.Env) { st(env.Disk()) })
			}
			want := c.crash
			if power {
				want = c.powerLoss
				require.NoError(t, w.s.PowerLoss(0))
			} else {
				require.NoError(t, w.s.Crash(0))
			}
			w.run(2 * time.Second) // operations in flight finish (crash) or are lost (power)
			require.NoError(t, w.s.Restart(0))
			d := w.s.Env(0).Disk()
			gotFiles := map[string][]int{}
			for _, f := range d.Files() {
				gotFiles[f] = contents(t, w, 0, f)
			}
			assert.Equal(t, want, gotFiles, "%s, power loss %v", c.name, power)
		}
	}
}

func TestDiskCompletionsFollowTheDeviceQueue(t *testing.T) {
	disk := DiskProfile{OpLatency: ConstantLatency(ms(1)), SyncLatency: ConstantLatency(ms(10)), Bandwidth: 1_000_000}
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{Disk: disk})
	var ops []node.OpID
	w.do(0, func(env node.Env) {
		ops = append(ops, env.Disk().Append("log", entry(1, 1000))) // 1ms + 1ms
		ops = append(ops, env.Disk().Sync("log"))                   // 10ms
		ops = append(ops, env.Disk().Append("log", entry(2, 0)))    // 1ms
		assert.Equal(t, 2, env.Disk().Len("log"), "the page cache sees appends at once")
	})
	w.run(time.Second)
	var at []time.Duration
	var done []node.OpID
	for _, g := range w.m(0).own {
		if g.Ev.Kind == node.DiskDone {
			at = append(at, g.At)
			done = append(done, g.Ev.Op)
			assert.NoError(t, g.Ev.Err)
		}
	}
	assert.Equal(t, []time.Duration{ms(2), ms(12), ms(13)}, at)
	assert.Equal(t, ops, done)
	assert.Equal(t, 1, w.s.DurableLen(0, "log"))
	st, _ := w.s.Stats(0)
	assert.Equal(t, int64(1000), st.DiskBytesWritten)
	assert.Equal(t, int64(3), st.DiskOps)
	assert.Equal(t, int64(1), st.Fsyncs)
	assert.Equal(t, ms(13), st.DiskBusy)
}

func TestTornWriteOnPowerLoss(t *testing.T) {
	disk := DiskProfile{TornWriteProbability: 1}
	torn := map[int32]int{}
	for seed := uint64(1); seed <= 40; seed++ {
		w := newWorld(t, Config{Seed: seed}, 1, NodeConfig{Disk: disk})
		w.do(0, func(env node.Env) {
			env.Disk().Append("log", entry(1, 100))
			env.Disk().Sync("log")
		})
		w.run(time.Second)
		w.do(0, func(env node.Env) {
			env.Disk().Append("log", entry(2, 10000))
			env.Disk().Append("log", entry(3, 100))
		})
		require.NoError(t, w.s.PowerLoss(0))
		es, err := w.s.nodes[0].disk.Read("log", 0)
		require.NoError(t, err)
		require.Len(t, es, 2, "the durable entry and the torn first unsynced one")
		assert.Equal(t, entry(1, 100), es[0])
		assert.Equal(t, 2, es[1].Data)
		assert.NotEqual(t, uint32(1002), es[1].Sum, "a torn entry fails its checksum")
		assert.Contains(t, []int32{4096 * 2, 512 * 19}, es[1].Size)
		torn[es[1].Size]++
	}
	assert.Len(t, torn, 2, "both boundaries occur")
}

func TestCorruptionIsSeenByTheReader(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	w.do(0, func(env node.Env) {
		for i := 0; i < 5; i++ {
			env.Disk().Append("log", entry(i, 100))
		}
		env.Disk().Sync("log")
	})
	w.run(time.Second)
	require.NoError(t, w.s.CorruptBytes(0, "log", 150, 100)) // entries 1 and 2
	bad := func() []int {
		es, err := w.s.nodes[0].disk.Read("log", 0)
		require.NoError(t, err)
		var out []int
		for i, e := range es {
			if e.Sum != uint32(1000+i) {
				out = append(out, i)
			}
		}
		return out
	}
	assert.Equal(t, []int{1, 2}, bad())
	require.NoError(t, w.s.Crash(0))
	require.NoError(t, w.s.Restart(0))
	assert.Equal(t, []int{1, 2}, bad(), "damage on the medium survives a crash")
	require.NoError(t, w.s.PowerLoss(0))
	require.NoError(t, w.s.Restart(0))
	assert.Equal(t, []int{1, 2}, bad(), "and a power loss")
	require.NoError(t, w.s.CorruptEntries(0, "log", 4, 5))
	assert.Equal(t, []int{1, 2, 4}, bad())
	assert.ErrorContains(t, w.s.CorruptEntries(0, "log", 3, 9), "not within the file's 5 entries")
	assert.ErrorContains(t, w.s.CorruptEntries(0, "nope", 0, 1), `has no file "nope"`)
}

func TestDiskFullAndCapacity(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{Disk: DiskProfile{Capacity: 250}})
	w.do(0, func(env node.Env) {
		env.Disk().Append("a", entry(1, 100))
		env.Disk().Append("a", entry(2, 100))
		env.Disk().Append("a", entry(3, 100)) // over capacity
		env.Disk().Truncate("a", 1)
		env.Disk().Append("a", entry(4, 100)) // room again
	})
	w.run(time.Second)
	var errs []error
	for _, g := range w.m(0).own {
		if g.Ev.Kind == node.DiskDone {
			errs = append(errs, g.Ev.Err)
		}
	}
	assert.Equal(t, []error{nil, nil, node.ErrDiskFull, nil, nil}, errs)
	assert.Equal(t, []int{1, 4}, contents(t, w, 0, "a"))
	require.NoError(t, w.s.SetDiskFull(0, true))
	w.do(0, func(env node.Env) { env.Disk().Append("a", entry(5, 1)) })
	w.run(2 * time.Second)
	last := w.m(0).own[len(w.m(0).own)-1]
	assert.ErrorIs(t, last.Ev.Err, node.ErrDiskFull)
}

func TestDiskIOErrorsAndSlowness(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{Disk: DiskProfile{OpLatency: ConstantLatency(ms(1))}})
	require.NoError(t, w.s.SetDiskErrorRate(0, 1))
	require.NoError(t, w.s.SetDiskSlow(0, ms(50)))
	w.do(0, func(env node.Env) {
		env.Disk().Append("a", entry(1, 10))
		_, err := env.Disk().Read("a", 0)
		assert.ErrorIs(t, err, node.ErrIO)
	})
	w.run(time.Second)
	g := w.m(0).own[0]
	assert.ErrorIs(t, g.Ev.Err, node.ErrIO)
	assert.Equal(t, ms(51), g.At)
	assert.Equal(t, 0, w.s.Env(0).Disk().Len("a"), "a failed append changes nothing")
	assert.Error(t, w.s.SetDiskErrorRate(0, 1.5))
	assert.Error(t, w.s.SetDiskSlow(0, -1))

	require.NoError(t, w.s.SetDiskErrorRate(0, 0.5))
	fails := 0
	w.do(0, func(env node.Env) {
		for i := 0; i < 400; i++ {
			if _, err := env.Disk().Read("none", 0); err == node.ErrIO {
				fails++
			}
		}
	})
	assert.InDelta(t, 200, fails, 50)
}

func TestDiskNotFoundAndReadTail(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	w.do(0, func(env node.Env) {
		d := env.Disk()
		d.Sync("x")
		d.Truncate("x", 0)
		d.Delete("x")
		_, err := d.Read("x", 0)
		assert.ErrorIs(t, err, node.ErrNotFound)
		d.Append("y", entry(1, 1))
		d.Append("y", entry(2, 1))
		es, err := d.Read("y", 1)
		require.NoError(t, err)
		assert.Len(t, es, 1)
		es, err = d.Read("y", 5)
		require.NoError(t, err)
		assert.Empty(t, es)
		assert.Equal(t, []string{"y"}, d.Files())
	})
	w.run(time.Second)
	for _, g := range w.m(0).own[:3] {
		assert.ErrorIs(t, g.Ev.Err, node.ErrNotFound)
	}
}

func TestReadResultIsNotOverwrittenByTruncateAndAppend(t *testing.T) {
	w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{})
	w.do(0, func(env node.Env) {
		d := env.Disk()
		for i := 0; i < 4; i++ {
			d.Append("a", entry(i, 1))
		}
		es, _ := d.Read("a", 0)
		d.Truncate("a", 1)
		d.Append("a", entry(9, 1))
		assert.Equal(t, 2, es[2].Data)
		assert.Equal(t, 1, es[1].Data)
	})
}

func TestWritebackMakesOldDataDurable(t *testing.T) {
	disk := DiskProfile{Writeback: 30 * time.Second}
	for _, c := range []struct {
		lossAt time.Duration
		want   []int
	}{
		{10 * time.Second, []int{}},      // not written back yet
		{31 * time.Second, []int{1}},     // entry 1 is 30s old at the first look
		{61 * time.Second, []int{1, 2}},  // entry 2 (appended at 20s) at the second
		{200 * time.Second, []int{1, 2}}, // nothing left to write back
	} {
		w := newWorld(t, Config{Seed: 1}, 1, NodeConfig{Disk: disk})
		w.do(0, func(env node.Env) { env.Disk().Append("log", entry(1, 10)) })
		w.run(20 * time.Second)
		w.do(0, func(env node.Env) { env.Disk().Append("log", entry(2, 10)) })
		w.run(c.lossAt)
		require.NoError(t, w.s.PowerLoss(0))
		require.NoError(t, w.s.Restart(0))
		got := contents(t, w, 0, "log")
		if got == nil {
			got = []int{}
		}
		assert.Equal(t, c.want, got, "power loss at %v", c.lossAt)
		quiet, err := w.s.RunUntilQuiescent(time.Hour)
		require.NoError(t, err)
		assert.True(t, quiet, "the writeback stops when nothing is dirty")
	}
	assert.ErrorContains(t, DiskProfile{Writeback: -1}.Validate("d"), "d.writeback")
}

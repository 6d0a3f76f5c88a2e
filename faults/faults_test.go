package faults

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

// fakeCluster has brokers 0..n-1, the controller 100, and clients p (200, 201) and c (300).
type fakeCluster struct {
	brokers int
	leader  node.ID
}

func (f fakeCluster) Brokers() []node.ID {
	var out []node.ID
	for i := 0; i < f.brokers; i++ {
		out = append(out, node.ID(i))
	}
	return out
}
func (f fakeCluster) Broker(n int) (node.ID, bool) { return node.ID(n), n < f.brokers }
func (f fakeCluster) Controller() node.ID          { return 100 }
func (f fakeCluster) Leader(topic string, p int32) node.ID {
	if topic == "orders" && p == 0 {
		return f.leader
	}
	return node.None
}
func (f fakeCluster) Replicas(topic string, p int32) []node.ID {
	if topic != "orders" || p > 3 {
		return nil
	}
	return f.Brokers()
}
func (f fakeCluster) Clients(name string) []node.ID {
	return map[string][]node.ID{"p": {200, 201}, "c": {300}}[name]
}
func (f fakeCluster) AllClients() []node.ID { return []node.ID{200, 201, 300} }

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func TestSelectors(t *testing.T) {
	c := fakeCluster{brokers: 3, leader: 1}
	for _, tc := range []struct {
		in   string
		want []node.ID
	}{
		{"broker-2", []node.ID{2}},
		{"brokers", []node.ID{0, 1, 2}},
		{"controller", []node.ID{100}},
		{"leader(orders/0)", []node.ID{1}},
		{"followers(orders/0)", []node.ID{0, 2}},
		{"replicas(orders/0)", []node.ID{0, 1, 2}},
		{"leader(orders/1)", nil},
		{"clients", []node.ID{200, 201, 300}},
		{"p", []node.ID{200, 201}},
		{"p-1", []node.ID{201}},
	} {
		s, err := ParseSelector(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.in, s.String())
		got, err := s.Resolve(c, rng(1))
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"leader(orders)", "leader(orders/x)", "random(0)", "oops(1)", "9lives", "controller(1)", "broker"} {
		_, err := ParseSelector(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "accepted:", bad)
	}
	for _, unknown := range []string{"broker-7", "q", "p-5", "followers(nope/0)"} {
		s, err := ParseSelector(unknown)
		require.NoError(t, err)
		_, err = s.Resolve(c, rng(1))
		assert.Error(t, err, unknown)
	}
	r, _ := ParseSelector("random(2)")
	a, err := r.Resolve(c, rng(5))
	require.NoError(t, err)
	assert.Len(t, a, 2)
	b, _ := r.Resolve(c, rng(5))
	assert.Equal(t, a, b, "same seed, same draw")
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"p", "billing", "orders.consumer", "c_1", "v2x"} {
		assert.NoError(t, CheckName(ok), ok)
	}
	for _, bad := range []string{"p-0", "controller", "brokers", "1p", "a b", ""} {
		assert.Error(t, CheckName(bad), bad)
	}
}

func sel(t *testing.T, s string) Selectors {
	v, err := ParseSelector(s)
	require.NoError(t, err)
	return Selectors{v}
}

func TestValidate(t *testing.T) {
	fields := func(s Spec) []string {
		var out []string
		for _, e := range s.Validate() {
			out = append(out, e.Field)
		}
		return out
	}
	assert.Empty(t, fields(Spec{Kind: Partition, At: 20 * time.Second, For: 10 * time.Second, Isolate: sel(t, "leader(orders/0)")}))
	assert.Empty(t, fields(Spec{Kind: Crash, Target: sel(t, "broker-1"), PowerLoss: true, Every: 15 * time.Second, For: 5 * time.Second}))
	assert.Equal(t, []string{"kind"}, fields(Spec{}))
	assert.Equal(t, []string{"power.loss"}, fields(Spec{Kind: Pause, Target: sel(t, "broker-1"), PowerLoss: true}))
	assert.Equal(t, []string{"target"}, fields(Spec{Kind: Crash}))
	assert.Equal(t, []string{"isolate"}, fields(Spec{Kind: Partition}))
	assert.Equal(t, []string{"for"}, fields(Spec{Kind: Reset, Target: sel(t, "broker-0"), For: time.Second}))
	assert.Equal(t, []string{"for"}, fields(Spec{Kind: Pause, Target: sel(t, "broker-0"), Every: time.Second, For: time.Second}))
	assert.Equal(t, []string{"target"}, fields(Spec{Kind: StallConsumer, Target: sel(t, "broker-0")}))
	assert.Equal(t, []string{"mix"}, fields(Spec{Kind: Nemesis, Every: 10 * time.Second, For: time.Second, Mix: []Kind{Crash, DiskFull}}))
	assert.Equal(t, []string{"isolate"}, fields(Spec{Kind: Partition, Isolate: sel(t, "broker-0"), Topology: Halves}))
	assert.Equal(t, []string{"clients"}, fields(Spec{Kind: Partition, Topology: MajoritiesRing, Clients: ClientsIsolated}))
	assert.Equal(t, []string{"target"}, fields(Spec{Kind: DiskFull, Target: sel(t, "p-0")}))
	errs := (&Spec{Kind: Crash, Target: sel(t, "broker-1"), Jump: time.Second}).Validate()
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "does not apply to kind crash; it accepts: at, for, every, times, target, power.loss")
}

func TestTimeline(t *testing.T) {
	specs := []Spec{
		{Kind: Partition, At: 20 * time.Second, For: 10 * time.Second, Isolate: sel(t, "leader(orders/0)")},
		{Kind: Crash, Name: "kill", Target: sel(t, "broker-1"), At: 5 * time.Second, Every: 15 * time.Second, For: 5 * time.Second, Times: 3},
		{Kind: Reset, Target: sel(t, "broker-2"), At: 30 * time.Second},
		{Kind: Pause, Target: sel(t, "broker-0"), At: 50 * time.Second},
	}
	var lines []string
	for _, a := range Timeline(specs, 60*time.Second, rng(1)) {
		lines = append(lines, a.At.String()+" "+a.Op.String()+" "+a.Name)
	}
	assert.Equal(t, []string{
		"5s start kill#0",
		"10s stop kill#0",
		"20s start partition-0",
		"20s start kill#1",
		"25s stop kill#1",
		"30s stop partition-0",
		"30s start reset-2",
		"35s start kill#2",
		"40s stop kill#2",
		"50s start pause-3",
		"1m0s stop pause-3",
	}, lines)
}

func TestNemesisIsDeterministic(t *testing.T) {
	specs := []Spec{{Kind: Nemesis, At: 10 * time.Second, Every: 10 * time.Second, For: 5 * time.Second,
		Mix: []Kind{Partition, Crash, Pause, ClockSkew, Latency, Reset}}}
	names := func(seed uint64) []string {
		var out []string
		for _, a := range Timeline(specs, 10*time.Minute, rng(seed)) {
			if a.Op == Start {
				out = append(out, a.Name)
				assert.Empty(t, a.Spec.Validate(), a.Name)
			}
		}
		return out
	}
	a := names(3)
	assert.Len(t, a, 59)
	assert.Equal(t, a, names(3))
	assert.NotEqual(t, a, names(4))
	kinds := map[string]bool{}
	for _, n := range a {
		kinds[n[len("nemesis-0#0:")+1:]] = true
	}
	assert.GreaterOrEqual(t, len(kinds), 5, "draws cover the mix: %v", kinds)
}

func TestCuts(t *testing.T) {
	c := fakeCluster{brokers: 3, leader: 1}
	iso := Spec{Kind: Partition, Isolate: sel(t, "leader(orders/0)")}
	cuts, err := iso.Cuts(c, rng(1))
	require.NoError(t, err)
	assert.Equal(t, []Cut{{A: []node.ID{1}, B: []node.ID{0, 2, 100}}}, cuts)
	iso.Clients = ClientsIsolated
	cuts, _ = iso.Cuts(c, rng(1))
	assert.Equal(t, []Cut{{A: []node.ID{1, 200, 201, 300}, B: []node.ID{0, 2, 100}}}, cuts)
	iso.Clients = ClientsRest
	cuts, _ = iso.Cuts(c, rng(1))
	assert.Equal(t, []Cut{{A: []node.ID{1}, B: []node.ID{0, 2, 100, 200, 201, 300}}}, cuts)

	oneWay := Spec{Kind: Partition, From: sel(t, "p"), To: sel(t, "brokers"), OneWay: true}
	cuts, _ = oneWay.Cuts(c, rng(1))
	assert.Equal(t, []Cut{{A: []node.ID{200, 201}, B: []node.ID{0, 1, 2}, OneWay: true}}, cuts)

	c5 := fakeCluster{brokers: 4, leader: 0} // 4 brokers + controller = 5 nodes
	halves := Spec{Kind: Partition, Topology: Halves}
	cuts, _ = halves.Cuts(c5, rng(2))
	require.Len(t, cuts, 1)
	assert.Len(t, cuts[0].A, 2)
	assert.Len(t, cuts[0].B, 3)

	bridge := Spec{Kind: Partition, Topology: Bridge}
	cuts, _ = bridge.Cuts(c5, rng(2))
	require.Len(t, cuts, 1)
	assert.Len(t, cuts[0].A, 2)
	assert.Len(t, cuts[0].B, 2)

	ring := Spec{Kind: Partition, Topology: MajoritiesRing}
	cuts, _ = ring.Cuts(c5, rng(2))
	// Every node sees exactly 3 of 5 (itself and two ring neighbours): 5 cut pairs.
	require.Len(t, cuts, 5)
	seen := map[node.ID][]node.ID{}
	for _, n := range servers(c5) {
		seen[n] = servers(c5)
	}
	for _, cut := range cuts {
		a, b := cut.A[0], cut.B[0]
		seen[a] = slices.DeleteFunc(seen[a], func(x node.ID) bool { return x == b })
		seen[b] = slices.DeleteFunc(seen[b], func(x node.ID) bool { return x == a })
	}
	views := map[string]bool{}
	for _, v := range seen {
		assert.Len(t, v, 3)
		views[nodeKey(v)] = true
	}
	assert.Len(t, views, 5, "no two nodes see the same majority")
}

func nodeKey(ids []node.ID) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	out := ""
	for _, id := range s {
		out += string(rune('a' + id%26))
	}
	return out
}

func TestLinks(t *testing.T) {
	c := fakeCluster{brokers: 2, leader: 0}
	clog := Spec{Kind: Clog, From: sel(t, "broker-0"), To: sel(t, "broker-1"), OneWay: true}
	links, err := clog.Links(c, rng(1))
	require.NoError(t, err)
	assert.Equal(t, []Link{{0, 1}}, links)
	clog.OneWay = false
	links, _ = clog.Links(c, rng(1))
	assert.Equal(t, []Link{{0, 1}, {1, 0}}, links)
	reset := Spec{Kind: Reset, Target: sel(t, "broker-1")}
	links, _ = reset.Links(c, rng(1))
	assert.Equal(t, []Link{{0, 1}, {1, 100}, {1, 200}, {1, 201}, {1, 300}}, links)
}

package scenarios

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/workloads"
)

// minimal is a small valid scenario that tests modify.
const minimal = `name: t
topics: [{name: orders, partitions: 4, replication.factor: 3}]
producers:
  - name: p
    topic: orders
    config:
      linger.ms: 5
consumers:
  - {name: c, group: g, topics: [orders]}
`

// loadErr loads src and returns the error text (failing if it loads).
func loadErr(t *testing.T, src string, sets ...string) string {
	t.Helper()
	_, err := LoadBytes("test.yaml", []byte(src), sets...)
	require.Error(t, err)
	return err.Error()
}

func TestShippedScenariosLoadAndRoundTrip(t *testing.T) {
	list, err := List()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(list), 3)
	for _, sh := range list {
		s, err := LoadShipped(sh.File)
		require.NoError(t, err, sh.File)
		assert.NotEmpty(t, s.Description, sh.File)
		assert.Equal(t, strings.TrimSuffix(sh.File, ".yaml"), s.Name, "a shipped scenario is named after its file")
		out, err := s.Marshal()
		require.NoError(t, err)
		back, err := LoadBytes("resolved.yaml", out)
		require.NoError(t, err, "the resolved %s must load:\n%s", sh.File, out)
		assert.Equal(t, s, back, sh.File)
		again, err := back.Marshal()
		require.NoError(t, err)
		assert.Equal(t, string(out), string(again), "marshalling is stable")
	}
}

func TestRoundTripEverything(t *testing.T) {
	src := minimal + `
description: every kind of value
seed: 99
hardware: {profile: laptop, network: {latency: {kind: exponential, min: 5us, mean: 20us}}, disk: {count: 2}}
duration: 90s
phases: {heal: 5s, drain: 2m}
cluster: {brokers: 5, config: {log.retention.ms: 10s, log.segment.bytes: 1MiB, unclean.leader.election.enable: true}}
faults:
  - {kind: crash, target: [broker-1, leader(orders/0)], at: 10s, for: 5s, power.loss: true, every: 20s, times: 2}
  - {kind: partition, topology: bridge, at: 30s, for: 5s, clients: rest}
  - {kind: nemesis, every: 10s, for: 2s, mix: [crash, pause], at: 40s}
  - {kind: slow-consumer, target: c-0, processing: 5ms, at: 1s}
  - {kind: clock-skew, target: controller, jump: -3s, drift: 0.001, at: 2s}
expect:
  anomalies: [lost-write]
  allow: [unseen]
  throughput.min: 1.5k/s
  latency.max: {produce.p99: 50ms, end-to-end.p99.9: 1s}
sweep:
  producers.p.config.linger.ms: [0, 5, 50]
  cluster.brokers: [3, 5]
  hardware: [laptop, {profile: cloud-nvme, disk: {count: 4}}]
`
	src = strings.Replace(src, "    topic: orders\n", "    topic: orders\n    rate: poisson(steps(100/s, 2k/s@10s))\n    message.size: lognormal(1KiB, 0.5, 8KiB)\n    keys: zipf(100, 0.99)\n    payload: log\n", 1)
	s, err := LoadBytes("t.yaml", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, "laptop", s.Hardware.Profile)
	assert.Equal(t, 2, s.Hardware.Disk.Count)
	assert.Equal(t, LatencyDist{Kind: "exponential", Min: 5 * time.Microsecond, Mean: 20 * time.Microsecond}, s.Hardware.Network.Latency)
	assert.Equal(t, Millis(10000), s.Topics[0].Config.RetentionMs, "topics inherit the cluster's settings")
	assert.Equal(t, Bytes(1<<20), s.Topics[0].Config.SegmentBytes)
	assert.True(t, s.Topics[0].Config.UncleanLeaderElectionEnable)
	assert.False(t, s.Expect.Valid)
	assert.Equal(t, PerSecond(1500), s.Expect.Throughput)
	out, err := s.Marshal()
	require.NoError(t, err)
	back, err := LoadBytes("elsewhere/resolved.yaml", out)
	require.NoError(t, err, string(out))
	assert.Equal(t, s, back)
}

func TestUnknownKeySuggestsNearest(t *testing.T) {
	src := strings.Replace(minimal, "linger.ms: 5", "lingr.ms: 5", 1)
	msg := loadErr(t, src)
	assert.Contains(t, msg, "test.yaml:7:7: producers[0].config: unknown key lingr.ms; did you mean linger.ms?")
	assert.Contains(t, msg, "(accepted: acks, linger.ms, batch.size")
	assert.Contains(t, msg, "    7 |       lingr.ms: 5\n      |       ^")
}

func TestMisplacedKafkaKeys(t *testing.T) {
	msg := loadErr(t, strings.Replace(minimal, "    topic: orders\n", "    topic: orders\n    acks: all\n", 1))
	assert.Contains(t, msg, "acks is a key of config: write it under config:")
	msg = loadErr(t, minimal+"cluster: {config: {retention.ms: 1000}}\n")
	assert.Contains(t, msg, "did you mean log.retention.ms?")
	msg = loadErr(t, strings.Replace(minimal, "replication.factor: 3}", "replication.factor: 3, config: {log.retention.ms: 1000}}", 1))
	assert.Contains(t, msg, "unknown key log.retention.ms; did you mean retention.ms?")
	msg = loadErr(t, minimal+"topics: []\n")
	assert.Contains(t, msg, `mapping key "topics" already defined at [2:1]`)
}

func TestValueErrors(t *testing.T) {
	for _, tc := range []struct{ edit, want string }{
		{"cluster: {brokers: three}", `test.yaml:10:20: cluster.brokers: "three" is not valid here; accepted: an integer`},
		{"duration: 60", "duration: 60 needs a unit; accepted: a duration such as 60s"},
		{"cluster: {config: {log.retention.ms: forever}}", `"forever" is not a number of milliseconds`},
		{"hardware: comodity-2014", `unknown hardware profile "comodity-2014"; accepted: cloud-nvme, commodity-2014, laptop, none, or a path to a profile file; did you mean commodity-2014?`},
		{"expect: {anomalies: [lost-writes]}", `unknown anomaly "lost-writes"`},
		{"expect: {anomalies: [lost-write], valid: true}", "valid: true contradicts the required anomalies lost-write"},
		{"faults: [{kind: partiton, at: 1s}]", `unknown fault kind "partiton"`},
		{"faults: [{kind: crash, target: broker-3, at: 1s}]", "broker-3: the brokers are broker-0 to broker-2"},
		{"faults: [{kind: crash, target: leader(payments/0), at: 1s}]", `no topic "payments"`},
		{"faults: [{kind: crash, target: [pp], at: 1s}]", `no producer or consumer named "pp"`},
		{"faults: [{kind: stall-consumer, target: p, at: 1s}]", "p is a producer; kind stall-consumer targets consumers"},
		{"faults: [{kind: pause, target: broker-0, at: 90s}]", "is not within the 1m0s load phase"},
		{"faults: [{kind: pause, target: broker-0, jump: 1s}]", "faults[0].jump: does not apply to kind pause"},
		{"sweep: {producers.p.config.lingr.ms: [1]}", "did you mean linger.ms?"},
		{"sweep: {cluster.brokers: [0]}", "the sweep value cluster.brokers=0 does not load: cluster.brokers: 0 is out of range"},
		{"expect: {latency.max: {produce.p98: 1s}}", `unknown latency bound "produce.p98"`},
		{"a: [1", "YAML syntax"},
	} {
		msg := loadErr(t, minimal+tc.edit+"\n")
		assert.Contains(t, msg, tc.want, tc.edit)
	}
}

func TestCrossFieldChecks(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{strings.Replace(minimal, "replication.factor: 3", "replication.factor: 4", 1), "topics[0].replication.factor: 4 is out of range; accepted: 1 to the number of brokers (3)"},
		{minimal + "cluster: {config: {min.insync.replicas: 4}}\n", "topics[0].config.min.insync.replicas: 4 is out of range; accepted: 1 to replication.factor (3)"},
		{strings.Replace(minimal, "topic: orders", "topic: order", 1), `producers[0].topic: no topic "order"; accepted: orders; did you mean orders?`},
		{strings.Replace(minimal, "linger.ms: 5", "{acks: \"1\", enable.idempotence: true}", 1), "idempotence needs acks=all"},
		{strings.Replace(minimal, "linger.ms: 5", "delivery.timeout.ms: 1000", 1), "delivery.timeout.ms: 1000 is below linger.ms + request.timeout.ms (30005)"},
		{strings.Replace(minimal, "group: g, ", "", 1), "subscribing to topics needs a group"},
		{strings.Replace(minimal, "group: g, topics: [orders]", "assign: [orders/9]", 1), "orders has partitions 0 to 3"},
		{strings.Replace(minimal, "group: g, topics: [orders]", "assign: [orders, orders/1]", 1), "assign[1]: orders/1 is assigned twice"},
		{strings.Replace(minimal, "name: c,", "name: p,", 1), `"p" names another producer or consumer already`},
		{strings.Replace(minimal, "name: c,", "name: c-1,", 1), "ends in -DIGITS"},
		{strings.Replace(minimal, "topics: [orders]}", "topics: [orders], commit: auto, config: {enable.auto.commit: false}}", 1), "commit auto contradicts enable.auto.commit: false"},
		{strings.Replace(minimal, "    topic: orders\n", "    topic: orders\n    message.size: 2MiB\n", 1), "above max.request.size"},
	} {
		assert.Contains(t, loadErr(t, tc.src), tc.want)
	}
}

func TestEveryErrorIsReported(t *testing.T) {
	src := `name: t
cluster: {brokers: 0, bogus: 1}
topics: [{name: orders, partitions: 0}]
producers: [{name: p, topic: nope, config: {lingr.ms: 1, batch.size: big}}]
`
	_, err := LoadBytes("x.yaml", []byte(src))
	require.Error(t, err)
	list, ok := err.(ErrorList)
	require.True(t, ok)
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Line)
	}
	assert.Equal(t, []int{2, 2, 3, 4, 4, 4}, lines, "every error, in file order: %v", err)
	assert.Contains(t, err.Error(), "x.yaml:2:20: cluster.brokers: 0 is out of range")
	assert.Contains(t, err.Error(), "x.yaml:4:30: producers[0].topic: no topic \"nope\"")
}

func TestDefaultsResolveLikeKafka(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(minimal))
	require.NoError(t, err)
	assert.Equal(t, "t", s.Name)
	assert.Equal(t, uint64(1), s.Seed)
	assert.Equal(t, DefaultProfile, s.Hardware.Profile)
	assert.Equal(t, 6, s.Hardware.CPU.Cores)
	p := s.Producers[0]
	assert.Equal(t, 1, p.Count)
	assert.Equal(t, "1000/s", p.Rate.String())
	assert.Equal(t, Acks("all"), p.Config.Acks)
	assert.True(t, p.Config.EnableIdempotence)
	c := s.Consumers[0]
	assert.Equal(t, CommitAuto, c.Commit)
	assert.True(t, c.Config.EnableAutoCommit)
	assert.Equal(t, OffsetReset("latest"), c.Config.AutoOffsetReset)
	assert.True(t, s.Expect.Valid)
	assert.True(t, s.Expect.Liveness)
	assert.Equal(t, s.Duration+s.Phases.Heal, s.Phases.Drain)

	// A run's final reads get as long as its load and heal phases took, a minute at
	// least; a drain the scenario gives is kept.
	s, err = LoadBytes("t.yaml", []byte(minimal), "duration=10s")
	require.NoError(t, err)
	assert.Equal(t, time.Minute, s.Phases.Drain)
	s, err = LoadBytes("t.yaml", []byte(minimal), "duration=5m")
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute+s.Phases.Heal, s.Phases.Drain)
	s, err = LoadBytes("t.yaml", []byte(minimal), "duration=5m", "phases.drain=30s")
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, s.Phases.Drain)

	// acks=1 without an explicit enable.idempotence turns idempotence off, as Kafka does.
	s, err = LoadBytes("t.yaml", []byte(strings.Replace(minimal, "linger.ms: 5", "acks: 1", 1)))
	require.NoError(t, err)
	assert.False(t, s.Producers[0].Config.EnableIdempotence)
	assert.Equal(t, Acks("1"), s.Producers[0].Config.Acks)
	s, err = LoadBytes("t.yaml", []byte(strings.Replace(minimal, "linger.ms: 5", "acks: -1", 1)))
	require.NoError(t, err)
	assert.Equal(t, Acks("all"), s.Producers[0].Config.Acks)

	// commit: after-processing turns auto-commit off; a reader without a group cannot commit.
	s, err = LoadBytes("t.yaml", []byte(strings.Replace(minimal, "{name: c, group: g, topics: [orders]}", "{name: c, group: g, topics: [orders], commit: after-processing}", 1)))
	require.NoError(t, err)
	assert.False(t, s.Consumers[0].Config.EnableAutoCommit)
	s, err = LoadBytes("t.yaml", []byte(strings.Replace(minimal, "group: g, topics: [orders]", "assign: [orders]", 1)))
	require.NoError(t, err)
	assert.Equal(t, CommitNone, s.Consumers[0].Commit)
	assert.False(t, s.Consumers[0].Config.EnableAutoCommit)

	// Sizes and durations in Kafka's forms or with units.
	s, err = LoadBytes("t.yaml", []byte(strings.Replace(minimal, "linger.ms: 5", "{linger.ms: 1s, batch.size: 64KiB}", 1)))
	require.NoError(t, err)
	assert.Equal(t, Millis(1000), s.Producers[0].Config.LingerMs)
	assert.Equal(t, Bytes(65536), s.Producers[0].Config.BatchSize)
	// Topic partitions and RF default from the cluster.
	s, err = LoadBytes("t.yaml", []byte(strings.Replace(minimal, "partitions: 4, replication.factor: 3", "partitions: 2", 1)+
		"cluster: {config: {default.replication.factor: 2, min.insync.replicas: 2}}\n"))
	require.NoError(t, err)
	assert.Equal(t, 2, s.Topics[0].ReplicationFactor)
	assert.Equal(t, 2, s.Topics[0].Config.MinInsyncReplicas)
}

func TestSet(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(minimal),
		"producers.p.config.linger.ms=50",
		"cluster.brokers=5",
		"topics.orders.replication.factor=5",
		"producers.0.rate=poisson(10k/s)",
		"consumers.c.config={auto.offset.reset: earliest}",
		"hardware.disk.count=3",
		"expect.latency.max.produce.p99=20ms",
		"faults=[{kind: crash, target: broker-4, at: 5s}]",
		"faults.crash-0.for=2s",
		"seed=42",
	)
	require.NoError(t, err)
	assert.Equal(t, Millis(50), s.Producers[0].Config.LingerMs)
	assert.Equal(t, 5, s.Cluster.Brokers)
	assert.Equal(t, 5, s.Topics[0].ReplicationFactor)
	assert.Equal(t, "poisson(10000/s)", s.Producers[0].Rate.String())
	assert.Equal(t, OffsetReset("earliest"), s.Consumers[0].Config.AutoOffsetReset)
	assert.Equal(t, 3, s.Hardware.Disk.Count)
	assert.Equal(t, 6, s.Hardware.CPU.Cores, "a --set into the hardware keeps the rest of the profile")
	assert.Equal(t, 20*time.Millisecond, s.Expect.Latency["produce.p99"])
	assert.Equal(t, 2*time.Second, s.Faults[0].For)
	assert.Equal(t, uint64(42), s.Seed)

	// --set hardware switches profile.
	s, err = LoadBytes("t.yaml", []byte(minimal), "hardware=cloud-nvme")
	require.NoError(t, err)
	assert.Equal(t, 8, s.Hardware.CPU.Cores)
	// A set value counts as explicit: it overrides Kafka's derived default.
	s, err = LoadBytes("t.yaml", []byte(minimal), "producers.p.config.acks=1", "producers.p.config.enable.idempotence=false")
	require.NoError(t, err)
	assert.False(t, s.Producers[0].Config.EnableIdempotence)

	for _, tc := range []struct{ set, want string }{
		{"producers.p.config.lingr.ms=5", "--set producers.p.config.lingr.ms=5: producers[0].config: unknown key lingr.ms; did you mean linger.ms?"},
		{"producers.q.count=2", "no element named q; accepted: an index from 0 to 0, or a name: p"},
		{"cluster.brokers=many", `"many" is not valid here`},
		{"cluster.brokers", "expected PATH=VALUE"},
		{"name.first=x", "it has no key first"},
		{"producers.7.count=1", "index 7 is out of range"},
		{"cluster.brokers=[1", "YAML syntax"},
		{"faults.0.at=1s", "the list is empty: set the whole list instead, such as faults=[{...}]"},
	} {
		assert.Contains(t, loadErr(t, minimal, tc.set), tc.want, tc.set)
	}
}

func TestHardwareProfiles(t *testing.T) {
	assert.Equal(t, []string{"cloud-nvme", "commodity-2014", "laptop"}, Profiles())
	for _, name := range Profiles() {
		h, err := LoadHardware(name)
		require.NoError(t, err, name)
		assert.Positive(t, h.CPU.Cores)
		assert.NotEmpty(t, h.Description)
	}
	h, _ := LoadHardware("commodity-2014")
	assert.Equal(t, 6, h.CPU.Cores)
	assert.Equal(t, 6, h.Disk.Count)
	assert.Equal(t, Size(32<<30), h.Memory.RAM)
	assert.Equal(t, Bandwidth(125_000_000), h.Network.NIC, "1 Gb/s")

	// A user's profile file, relative to the scenario; strict like a scenario.
	dir := t.TempDir()
	src, err := hardwareFS.ReadFile("hardware/laptop.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mine.yaml"), src, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(strings.Replace(string(src), "cores: 8", "coars: 8", 1)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(minimal+"hardware: mine.yaml\n"), 0o644))
	s, err := Load(filepath.Join(dir, "s.yaml"))
	require.NoError(t, err)
	assert.Equal(t, 8, s.Hardware.CPU.Cores)
	out, err := s.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(out), "profile: none", "the resolved scenario carries the whole profile")
	back, err := LoadBytes("elsewhere.yaml", out)
	require.NoError(t, err)
	assert.Equal(t, s.Hardware.Hardware, back.Hardware.Hardware)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "s2.yaml"), []byte(minimal+"hardware: bad.yaml\n"), 0o644))
	_, err = Load(filepath.Join(dir, "s2.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.yaml:")
	assert.Contains(t, err.Error(), "did you mean cores?")

	_, err = LoadBytes("t.yaml", []byte(minimal+"hardware: {profile: none, cpu: {cores: 2}}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "hardware.disk.count")
}

func TestLatencySample(t *testing.T) {
	h, _ := LoadHardware("commodity-2014")
	r := newRand(1)
	slow := 0
	for i := 0; i < 100000; i++ {
		d := h.Network.Latency.Sample(r)
		require.True(t, d >= 50*time.Microsecond && d <= 10*time.Millisecond)
		if d > 150*time.Microsecond {
			slow++
		}
	}
	assert.InDelta(t, 100, slow, 40, "about one draw in a thousand is slow")
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

func TestValidateInGo(t *testing.T) {
	s, err := LoadShipped("acks1-leader-isolation")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	s.Topics[0].ReplicationFactor = 7
	s.Producers[0].Topic = "nope"
	err = s.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "acks1-leader-isolation: topics[0].replication.factor: 7 is out of range")
	assert.Contains(t, err.Error(), `producers[0].topic: no topic "nope"`)
}

func TestFaultTimeline(t *testing.T) {
	s, err := LoadShipped("acks1-leader-isolation")
	require.NoError(t, err)
	acts := s.FaultTimeline(newRand(1))
	require.Len(t, acts, 2)
	assert.Equal(t, 20*time.Second, acts[0].At)
	assert.Equal(t, "partition-0", acts[0].Name)
	assert.Equal(t, "leader(orders/0)", acts[0].Spec.Isolate.String())
	assert.Equal(t, 30*time.Second, acts[1].At)
}

func TestSweepValues(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(minimal+"sweep: {hardware: [laptop, {profile: cloud-nvme, disk: {count: 4}}]}\n"))
	require.NoError(t, err)
	vals := s.Sweep["hardware"]
	require.Len(t, vals, 2)
	assert.Equal(t, Value("laptop"), vals[0])
	s2, err := LoadBytes("t.yaml", []byte(minimal), "hardware="+string(vals[1]))
	require.NoError(t, err)
	assert.Equal(t, 4, s2.Hardware.Disk.Count)
	assert.Equal(t, 8, s2.Hardware.CPU.Cores)
}

func TestInstances(t *testing.T) {
	s, err := LoadBytes("t.yaml", []byte(strings.Replace(minimal, "group: g, topics: [orders]", "count: 3, assign: [orders]", 1)))
	require.NoError(t, err)
	c := &s.Consumers[0]
	var got [][]string
	for i := 0; i < 3; i++ {
		var names []string
		for _, p := range s.Assignment(c, i) {
			names = append(names, p.String())
		}
		got = append(got, names)
	}
	assert.Equal(t, [][]string{{"orders/0", "orders/3"}, {"orders/1"}, {"orders/2"}}, got)
	assert.Equal(t, "c-2", InstanceName(c.Name, 2))

	p := &s.Producers[0]
	p.Count = 2
	first := func(i int) time.Duration {
		at, ok := p.Arrivals(i, newRand(1)).Next()
		require.True(t, ok)
		return at
	}
	assert.Equal(t, []time.Duration{time.Millisecond, 2 * time.Millisecond}, []time.Duration{first(0), first(1)},
		"1000/s over two instances: 500/s each, staggered")
	p.Rate = workloads.ClosedLoopRate()
	assert.Nil(t, p.Arrivals(0, newRand(1)))
}

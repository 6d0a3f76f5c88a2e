package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	ombWorkload = "testdata/omb/workload-1-topic-4-partitions-1kb.yaml"
	ombDriver   = "testdata/omb/kafka-latency.yaml"
)

func TestFromOMBSampleFiles(t *testing.T) {
	s, err := FromOMB(ombWorkload, ombDriver)
	require.NoError(t, err)
	assert.Equal(t, "1_topic_4_partitions_1Kb", s.Name)
	assert.Contains(t, s.Description, "OpenMessaging Benchmark workload 1 topic / 4 partitions / 1Kb on driver Kafka latency")
	assert.Equal(t, "1m0s", s.Duration.String())
	assert.Equal(t, 3, s.Cluster.Brokers)

	require.Len(t, s.Topics, 1)
	tp := s.Topics[0]
	assert.Equal(t, "omb-topic-0", tp.Name)
	assert.Equal(t, 4, tp.Partitions)
	assert.Equal(t, 3, tp.ReplicationFactor)
	assert.Equal(t, 2, tp.Config.MinInsyncReplicas, "topicConfig")

	require.Len(t, s.Producers, 1)
	p := s.Producers[0]
	assert.Equal(t, 2, p.Count)
	assert.Equal(t, "omb-topic-0", p.Topic)
	assert.Equal(t, "5000/s", p.Rate.String())
	assert.Equal(t, int64(1024), p.MessageSize.Max())
	assert.True(t, p.Keys.None(), "NO_KEY")
	assert.Equal(t, Payload("json"), p.Payload, "the payload file is JSON")
	assert.Equal(t, Acks("all"), p.Config.Acks)
	assert.Equal(t, Millis(1), p.Config.LingerMs)
	assert.Equal(t, Bytes(131072), p.Config.BatchSize)
	assert.Equal(t, Compression("lz4"), p.Config.CompressionType)
	assert.Equal(t, Millis(30000), p.Config.RequestTimeoutMs, "commonConfig reaches the producers")

	require.Len(t, s.Consumers, 1)
	c := s.Consumers[0]
	assert.Equal(t, 2, c.Count)
	assert.Equal(t, "sub-000-0", c.Group)
	assert.Equal(t, []string{"omb-topic-0"}, c.Topics)
	assert.Equal(t, ombManualCommit, c.Commit, "enable.auto.commit=false: OMB commits after each poll")
	assert.False(t, c.Config.EnableAutoCommit)
	assert.Equal(t, OffsetReset("earliest"), c.Config.AutoOffsetReset)
	assert.Equal(t, Bytes(10485760), c.Config.MaxPartitionFetchBytes)
	assert.Equal(t, Millis(30000), c.Config.RequestTimeoutMs, "commonConfig reaches the consumers")

	// The mapped scenario marshals to a file that loads back to the same scenario.
	b, err := s.Marshal()
	require.NoError(t, err)
	back, err := LoadBytes("omb.yaml", b)
	require.NoError(t, err)
	assert.Equal(t, s.Producers[0].Config, back.Producers[0].Config)
}

func TestFromOMBWithoutDriverAndSets(t *testing.T) {
	s, err := FromOMB(ombWorkload, "", "duration=5s", "cluster.brokers=5")
	require.NoError(t, err)
	assert.Equal(t, "5s", s.Duration.String())
	assert.Equal(t, 5, s.Cluster.Brokers)
	assert.Equal(t, 3, s.Topics[0].ReplicationFactor, "stock OMB Kafka drivers use replication factor 3")
	assert.Equal(t, 2, s.Topics[0].Config.MinInsyncReplicas)
}

// writeOMB writes an OMB file into a temporary folder and returns its path.
func writeOMB(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

func TestFromOMBSeveralTopicsAndSubscriptions(t *testing.T) {
	dir := t.TempDir()
	w := writeOMB(t, dir, "w.yaml", `name: fan-out
topics: 2
partitionsPerTopic: 3
messageSize: 100
useRandomizedPayloads: true
randomBytesRatio: 1.0
randomizedPayloadPoolSize: 1000
subscriptionsPerTopic: 2
consumerPerSubscription: 3
producersPerTopic: 4
producerRate: 1000
keyDistributor: KEY_ROUND_ROBIN
testDurationMinutes: 2
`)
	d := writeOMB(t, dir, "d.yaml", `name: auto
driverClass: io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver
replicationFactor: 5
consumerConfig: |
  enable.auto.commit=true
  group.id=ignored
producerConfig: |
  linger.ms=\
    7
`)
	s, err := FromOMB(w, d)
	require.NoError(t, err)
	assert.Equal(t, 5, s.Cluster.Brokers, "the cluster grows to the replication factor")
	require.Len(t, s.Topics, 2)
	require.Len(t, s.Producers, 2)
	for _, p := range s.Producers {
		assert.Equal(t, "500/s", p.Rate.String(), "producerRate is the whole workload's, split over the topics")
		assert.Equal(t, 4, p.Count)
		assert.Equal(t, Payload("random"), p.Payload)
		assert.Equal(t, "round-robin(10000)", p.Keys.String())
		assert.Equal(t, Millis(7), p.Config.LingerMs, "a continued property line")
	}
	require.Len(t, s.Consumers, 4)
	groups := map[string]bool{}
	for _, c := range s.Consumers {
		groups[c.Group] = true
		assert.Equal(t, 3, c.Count)
		assert.Equal(t, CommitAuto, c.Commit)
	}
	assert.Len(t, groups, 4, "one consumer group per topic and subscription")
	assert.Equal(t, "2m0s", s.Duration.String())
}

func TestFromOMBUnsupportedWorkloadFields(t *testing.T) {
	_, err := FromOMB("testdata/omb/bad-workload.yaml", "")
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"testdata/omb/bad-workload.yaml:10:15: producerRate: 0 asks OMB to search for the highest sustainable rate",
		"testdata/omb/bad-workload.yaml:11:24: consumerBacklogSizeGB: logsim cannot honour backlog mode",
		"testdata/omb/bad-workload.yaml:13:24: warmupDurationMinutes: logsim cannot honour a warm-up",
		"testdata/omb/bad-workload.yaml:14:1: partitionPerTopic: unknown OMB workload field partitionPerTopic; did you mean partitionsPerTopic?",
		"testdata/omb/bad-workload.yaml:15:1: sampleRateMillis: logsim cannot honour this field of OMB's forks",
		"   14 | partitionPerTopic: 4\n      | ^",
	} {
		assert.Contains(t, msg, want)
	}
	// In file order.
	assert.Less(t, strings.Index(msg, ":10:15:"), strings.Index(msg, ":14:1:"))
}

func TestFromOMBUnsupportedDriverProperties(t *testing.T) {
	_, err := FromOMB(ombWorkload, "testdata/omb/bad-driver.yaml")
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "testdata/omb/bad-driver.yaml:7:3: topicConfig.cleanup.policy: logsim's topic does not model the Kafka property cleanup.policy")
	assert.Contains(t, msg, "testdata/omb/bad-driver.yaml:13:3: producerConfig.lingr.ms: logsim's producer does not model the Kafka property lingr.ms, so it cannot honour it; did you mean linger.ms?")

	// A bad value of a known property points at the property's line.
	dir := t.TempDir()
	d := writeOMB(t, dir, "d.yaml", "driverClass: io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver\nproducerConfig: |\n  acks=all\n  linger.ms=soon\n")
	_, err = FromOMB(ombWorkload, d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), d+":4:3: producerConfig.linger.ms: as producers[0].config.linger.ms: ")
	assert.Contains(t, err.Error(), "    4 |   linger.ms=soon\n      |   ^")

	d = writeOMB(t, dir, "pulsar.yaml", "name: Pulsar\ndriverClass: io.openmessaging.benchmark.driver.pulsar.PulsarBenchmarkDriver\nclient: {}\n")
	_, err = FromOMB(ombWorkload, d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), ":2:14: driverClass: \"io.openmessaging.benchmark.driver.pulsar.PulsarBenchmarkDriver\": logsim models Kafka only")
	assert.Contains(t, err.Error(), ":3:1: client: unknown OMB driver field client")
}

func TestFromOMBBadValues(t *testing.T) {
	dir := t.TempDir()
	w := writeOMB(t, dir, "w.yaml", `topics: two
partitionsPerTopic: 0
messageSize: 100
payloadFile: p.data
producersPerTopic: 1
producerRate: 10
keyDistributor: ZIPF
useRandomizedPayloads: maybe
testDurationMinutes: [1]
`)
	writeOMB(t, dir, "p.data", strings.Repeat("x", 99))
	_, err := FromOMB(w, "")
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`w.yaml:1:9: topics: "two": accepted: a whole number of at least 1`,
		`w.yaml:2:21: partitionsPerTopic: "0": accepted: a whole number of at least 1`,
		"w.yaml:4:14: payloadFile: p.data has 99 bytes but messageSize is 100",
		`w.yaml:7:17: keyDistributor: "ZIPF": accepted: NO_KEY, KEY_ROUND_ROBIN, RANDOM_NANO`,
		`w.yaml:8:24: useRandomizedPayloads: "maybe": accepted: true or false`,
		"w.yaml:9:22: testDurationMinutes: expected a single value, not a list",
	} {
		assert.Contains(t, msg, want)
	}

	w = writeOMB(t, dir, "missing.yaml", "topics: 1\npayloadFile: nowhere.data\n")
	_, err = FromOMB(w, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "producerRate: missing")
	assert.Contains(t, err.Error(), "testDurationMinutes: missing")
	assert.Contains(t, err.Error(), "payloadFile: cannot read")

	_, err = FromOMB(filepath.Join(dir, "none.yaml"), "")
	assert.ErrorContains(t, err, "cannot read the OpenMessaging Benchmark workload file")
	w = writeOMB(t, dir, "list.yaml", "- topics: 1\n")
	_, err = FromOMB(w, "")
	assert.ErrorContains(t, err, "an OMB workload file is a mapping of its fields")
}

func TestClassifyPayload(t *testing.T) {
	assert.Equal(t, "zeros", classifyPayload(make([]byte, 64)))
	assert.Equal(t, "json", classifyPayload([]byte(`{"a": [1, 2, "x"]}`)))
	assert.Equal(t, "log", classifyPayload([]byte("2024-01-01 INFO request served in 3 ms\n")))
	assert.Equal(t, "random", classifyPayload([]byte{0x1f, 0x8b, 0x08, 0x00, 0xff}))
}

// FuzzFromOMB feeds arbitrary workload and driver files to the mapping: errors,
// never a panic.
func FuzzFromOMB(f *testing.F) {
	for _, name := range []string{ombWorkload, "testdata/omb/bad-workload.yaml"} {
		w, err := os.ReadFile(name)
		require.NoError(f, err)
		for _, dn := range []string{ombDriver, "testdata/omb/bad-driver.yaml"} {
			d, err := os.ReadFile(dn)
			require.NoError(f, err)
			f.Add(w, d)
		}
	}
	f.Add([]byte("topics: [1, {a: b}]\nname: &x y\nproducerRate: *x\n"), []byte("producerConfig: {a: 1}\ncommonConfig: \"x\\\\\\n\"\n"))
	f.Fuzz(func(t *testing.T, workload, driver []byte) {
		dir := t.TempDir()
		w := filepath.Join(dir, "w.yaml")
		d := filepath.Join(dir, "d.yaml")
		require.NoError(t, os.WriteFile(w, workload, 0o644))
		require.NoError(t, os.WriteFile(d, driver, 0o644))
		s, err := FromOMB(w, d)
		if err == nil {
			require.NoError(t, s.Validate())
		}
	})
}

func TestFromOMBPayloadFileFromTheRepositoryRoot(t *testing.T) {
	// OMB's layout: workloads/W.yaml names payload/P.data, relative to the root.
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "workloads"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "payload"), 0o755))
	writeOMB(t, filepath.Join(root, "payload"), "payload-100b.data", strings.Repeat("log line text ", 7)+"ab")
	w := writeOMB(t, filepath.Join(root, "workloads"), "w.yaml",
		"topics: 1\nmessageSize: 100\npayloadFile: payload/payload-100b.data\nproducersPerTopic: 1\nproducerRate: 100\ntestDurationMinutes: 1\n")
	s, err := FromOMB(w, "")
	require.NoError(t, err)
	assert.Equal(t, Payload("log"), s.Producers[0].Payload)
}

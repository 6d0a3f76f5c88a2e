package scenarios

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"logsim/faults"
)

// validator checks a resolved scenario across fields, reporting each problem at the
// position of the value (or of the nearest enclosing value the file gave).
type validator struct {
	d    *decoder
	errs *ErrorList
}

func (v *validator) bad(path, format string, a ...any) {
	p := Pos{File: v.d.file}
	for q, ok := path, true; ok; q, ok = parentPath(q) {
		if pos, found := v.d.pos[q]; found {
			p = pos
			break
		}
	}
	v.d.errAt(p, path, format, a...)
}

var (
	topicNameRe = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)
	latencyKey  = regexp.MustCompile(`^(produce|end-to-end)\.p(50|75|90|95|99|99\.9|99\.99|99\.999|100)$`)
)

// Limits on sizes that would make a simulation unreasonable rather than wrong.
const (
	maxBrokers    = 100
	maxPartitions = 10000
	maxClients    = 10000
)

func (v *validator) scenario(s *Scenario) {
	if s.Name == "" {
		v.bad("name", "a scenario needs a name")
	}
	if strings.ContainsAny(s.Name, "\n\r") || strings.ContainsAny(s.Description, "\n\r") {
		v.bad("description", "name and description are single lines")
	}
	if s.Duration <= 0 {
		v.bad("duration", "%v: the load phase must last more than 0s", s.Duration)
	}
	if s.Phases.Heal < 0 {
		v.bad(child("phases", "heal"), "%v is negative", s.Phases.Heal)
	}
	if s.Phases.Drain <= 0 {
		v.bad(child("phases", "drain"), "%v: the drain deadline must be more than 0s", s.Phases.Drain)
	}
	v.hardware(&s.Hardware.Hardware, "hardware")
	v.cluster(s)
	topics := v.topics(s)
	clients := v.clients(s, topics)
	v.faults(s, topics, clients)
	v.expect(s)
	v.runnable(s)
}

func (v *validator) hardware(h *Hardware, path string) {
	p := func(keys ...string) string {
		out := path
		for _, k := range keys {
			out = child(out, k)
		}
		return out
	}
	if h.CPU.Cores < 1 || h.CPU.Cores > 1024 {
		v.bad(p("cpu", "cores"), "%d is out of range; accepted: 1 to 1024", h.CPU.Cores)
	}
	if h.CPU.GHz <= 0 {
		v.bad(p("cpu", "ghz"), "%v: the clock must be more than 0", h.CPU.GHz)
	}
	if h.CPU.Request < 0 {
		v.bad(p("cpu", "request"), "%v is negative", h.CPU.Request)
	}
	if h.CPU.Copy <= 0 {
		v.bad(p("cpu", "copy"), "missing; accepted: %s", Bandwidth(0).syntax())
	}
	for _, c := range []struct {
		name string
		c    Codec
	}{{"gzip", h.CPU.Codecs.Gzip}, {"snappy", h.CPU.Codecs.Snappy}, {"lz4", h.CPU.Codecs.LZ4}, {"zstd", h.CPU.Codecs.Zstd}} {
		if c.c.Compress <= 0 {
			v.bad(p("cpu", "codecs", c.name, "compress"), "missing; accepted: %s", Bandwidth(0).syntax())
		}
		if c.c.Decompress <= 0 {
			v.bad(p("cpu", "codecs", c.name, "decompress"), "missing; accepted: %s", Bandwidth(0).syntax())
		}
	}
	if h.Memory.RAM <= 0 {
		v.bad(p("memory", "ram"), "missing; accepted: %s", Size(0).syntax())
	}
	if h.Memory.PageCache < 0 || h.Memory.PageCache > h.Memory.RAM {
		v.bad(p("memory", "page.cache"), "%d bytes is not between 0 and ram (%d)", h.Memory.PageCache, h.Memory.RAM)
	}
	if h.Network.NIC <= 0 {
		v.bad(p("network", "nic"), "missing; accepted: %s", Bandwidth(0).syntax())
	}
	for _, l := range []struct {
		path string
		d    LatencyDist
	}{{p("network", "latency"), h.Network.Latency}, {p("disk", "op.latency"), h.Disk.OpLatency}, {p("disk", "sync.latency"), h.Disk.SyncLatency}} {
		l.d.validate(func(key, format string, a ...any) { v.bad(child(l.path, key), format, a...) })
	}
	if h.Disk.Count < 1 || h.Disk.Count > 64 {
		v.bad(p("disk", "count"), "%d is out of range; accepted: 1 to 64", h.Disk.Count)
	}
	if h.Disk.Bandwidth <= 0 {
		v.bad(p("disk", "bandwidth"), "missing; accepted: %s", Bandwidth(0).syntax())
	}
	if h.Disk.Capacity <= 0 {
		v.bad(p("disk", "capacity"), "missing; accepted: %s", Size(0).syntax())
	}
	if h.Disk.TornWrite < 0 || h.Disk.TornWrite > 1 {
		v.bad(p("disk", "torn.write.probability"), "%v is not in [0, 1]", h.Disk.TornWrite)
	}
}

// nonNeg reports ms or byte settings below their minimum; -1 is allowed where allowMinus1.
func (v *validator) atLeast(path string, val, least int64, allowMinus1 bool) {
	if val < least && !(allowMinus1 && val == -1) {
		extra := ""
		if allowMinus1 {
			extra = " (or -1 for no limit)"
		}
		v.bad(path, "%d is below the minimum %d%s", val, least, extra)
	}
}

func (v *validator) cluster(s *Scenario) {
	c := &s.Cluster
	if c.Brokers < 1 || c.Brokers > maxBrokers {
		v.bad(child("cluster", "brokers"), "%d is out of range; accepted: 1 to %d", c.Brokers, maxBrokers)
	}
	p := func(key string) string { return child(child("cluster", "config"), key) }
	b := &c.Config
	if b.MinInsyncReplicas < 1 {
		v.bad(p("min.insync.replicas"), "%d: at least 1", b.MinInsyncReplicas)
	}
	brokersOK := c.Brokers >= 1 && c.Brokers <= maxBrokers
	if brokersOK && (b.DefaultReplicationFactor < 1 || b.DefaultReplicationFactor > c.Brokers) {
		v.bad(p("default.replication.factor"), "%d is out of range; accepted: 1 to the number of brokers (%d)", b.DefaultReplicationFactor, c.Brokers)
	}
	if brokersOK && (b.OffsetsTopicReplicationFactor < 1 || b.OffsetsTopicReplicationFactor > c.Brokers) {
		v.bad(p("offsets.topic.replication.factor"), "%d is out of range; accepted: 1 to the number of brokers (%d)", b.OffsetsTopicReplicationFactor, c.Brokers)
	}
	if b.NumPartitions < 1 || b.NumPartitions > maxPartitions {
		v.bad(p("num.partitions"), "%d is out of range; accepted: 1 to %d", b.NumPartitions, maxPartitions)
	}
	for _, ms := range []struct {
		key   string
		val   Millis
		least int64
		minus bool
	}{
		{"replica.lag.time.max.ms", b.ReplicaLagTimeMaxMs, 1, false},
		{"replica.fetch.wait.max.ms", b.ReplicaFetchWaitMaxMs, 0, false},
		{"replica.socket.timeout.ms", b.ReplicaSocketTimeoutMs, 1, false},
		{"log.roll.ms", b.LogRollMs, 1, false},
		{"log.retention.ms", b.LogRetentionMs, 0, true},
		{"log.retention.check.interval.ms", b.LogRetentionCheckIntervalMs, 1, false},
		{"log.flush.interval.ms", b.LogFlushIntervalMs, 0, false},
		{"broker.session.timeout.ms", b.BrokerSessionTimeoutMs, 1, false},
		{"broker.heartbeat.interval.ms", b.BrokerHeartbeatIntervalMs, 1, false},
		{"group.initial.rebalance.delay.ms", b.GroupInitialRebalanceDelayMs, 0, false},
		{"group.min.session.timeout.ms", b.GroupMinSessionTimeoutMs, 0, false},
		{"group.max.session.timeout.ms", b.GroupMaxSessionTimeoutMs, 0, false},
	} {
		v.atLeast(p(ms.key), int64(ms.val), ms.least, ms.minus)
	}
	v.atLeast(p("replica.fetch.min.bytes"), int64(b.ReplicaFetchMinBytes), 1, false)
	v.atLeast(p("replica.fetch.max.bytes"), int64(b.ReplicaFetchMaxBytes), 1, false)
	v.atLeast(p("log.segment.bytes"), int64(b.LogSegmentBytes), 14, false)
	v.atLeast(p("log.retention.bytes"), int64(b.LogRetentionBytes), 0, true)
	v.atLeast(p("log.flush.interval.messages"), b.LogFlushIntervalMessages, 1, false)
	v.atLeast(p("message.max.bytes"), int64(b.MessageMaxBytes), 0, false)
	v.atLeast(p("num.replica.fetchers"), int64(b.NumReplicaFetchers), 1, false)
	v.atLeast(p("offsets.retention.minutes"), int64(b.OffsetsRetentionMinutes), 1, false)
	v.atLeast(p("queued.max.requests"), int64(b.QueuedMaxRequests), 1, false)
	if b.BrokerHeartbeatIntervalMs >= b.BrokerSessionTimeoutMs {
		v.bad(p("broker.heartbeat.interval.ms"), "%d is not below broker.session.timeout.ms (%d): brokers would be fenced between heartbeats", b.BrokerHeartbeatIntervalMs, b.BrokerSessionTimeoutMs)
	}
	if b.GroupMinSessionTimeoutMs > b.GroupMaxSessionTimeoutMs {
		v.bad(p("group.min.session.timeout.ms"), "%d is above group.max.session.timeout.ms (%d)", b.GroupMinSessionTimeoutMs, b.GroupMaxSessionTimeoutMs)
	}
}

// topics checks the topics and returns their partition counts by name.
func (v *validator) topics(s *Scenario) map[string]int {
	out := map[string]int{}
	if len(s.Topics) == 0 {
		v.bad("topics", "a scenario needs at least one topic, such as topics: [{name: orders, partitions: 4, replication.factor: 3}]")
	}
	for i, t := range s.Topics {
		p := elem("topics", i)
		if !topicNameRe.MatchString(t.Name) || t.Name == "." || t.Name == ".." {
			v.bad(child(p, "name"), "%q is not a topic name; accepted: 1 to 249 letters, digits, '.', '_' or '-'", t.Name)
		}
		if strings.HasPrefix(t.Name, "__") {
			v.bad(child(p, "name"), "%q: names starting with __ are Kafka's internal topics", t.Name)
		}
		if _, dup := out[t.Name]; dup {
			v.bad(child(p, "name"), "topic %q is defined twice", t.Name)
		}
		out[t.Name] = t.Partitions
		if t.Partitions < 1 || t.Partitions > maxPartitions {
			v.bad(child(p, "partitions"), "%d is out of range; accepted: 1 to %d", t.Partitions, maxPartitions)
		}
		// With an invalid broker count, only the broker count is reported.
		if s.Cluster.Brokers >= 1 && (t.ReplicationFactor < 1 || t.ReplicationFactor > s.Cluster.Brokers) {
			v.bad(child(p, "replication.factor"), "%d is out of range; accepted: 1 to the number of brokers (%d)", t.ReplicationFactor, s.Cluster.Brokers)
		}
		c, cp := &t.Config, child(p, "config")
		if c.MinInsyncReplicas < 1 || c.MinInsyncReplicas > t.ReplicationFactor {
			v.bad(child(cp, "min.insync.replicas"), "%d is out of range; accepted: 1 to replication.factor (%d), or every acks=all write fails with NOT_ENOUGH_REPLICAS", c.MinInsyncReplicas, t.ReplicationFactor)
		}
		v.atLeast(child(cp, "segment.bytes"), int64(c.SegmentBytes), 14, false)
		v.atLeast(child(cp, "segment.ms"), int64(c.SegmentMs), 1, false)
		v.atLeast(child(cp, "retention.ms"), int64(c.RetentionMs), 0, true)
		v.atLeast(child(cp, "retention.bytes"), int64(c.RetentionBytes), 0, true)
		v.atLeast(child(cp, "flush.messages"), c.FlushMessages, 1, false)
		v.atLeast(child(cp, "flush.ms"), int64(c.FlushMs), 0, false)
		v.atLeast(child(cp, "max.message.bytes"), int64(c.MaxMessageBytes), 0, false)
	}
	return out
}

// clientInfo is what fault selectors need about a producer or consumer.
type clientInfo struct {
	count    int
	consumer bool
}

func (v *validator) clients(s *Scenario, topics map[string]int) map[string]clientInfo {
	out := map[string]clientInfo{}
	names := slices.Sorted(maps.Keys(topics))
	checkName := func(path, name string) {
		if err := faults.CheckName(name); err != nil {
			v.bad(path, "%v", err)
		}
		if _, dup := out[name]; dup {
			v.bad(path, "%q names another producer or consumer already; names must be unique", name)
		}
	}
	checkTopic := func(path, topic string) bool {
		if _, ok := topics[topic]; ok {
			return true
		}
		msg := fmt.Sprintf("no topic %q; accepted: %s", topic, strings.Join(names, ", "))
		if near, ok := nearest(topic, names); ok {
			msg += "; did you mean " + near + "?"
		}
		v.bad(path, "%s", msg)
		return false
	}
	for i, pr := range s.Producers {
		p := elem("producers", i)
		checkName(child(p, "name"), pr.Name)
		out[pr.Name] = clientInfo{count: pr.Count}
		if pr.Count < 1 || pr.Count > maxClients {
			v.bad(child(p, "count"), "%d is out of range; accepted: 1 to %d", pr.Count, maxClients)
		}
		checkTopic(child(p, "topic"), pr.Topic)
		c, cp := &pr.Config, child(p, "config")
		if m := pr.MessageSize.Max(); m > int64(c.MaxRequestSize) {
			v.bad(child(p, "message.size"), "records can reach %d bytes, above max.request.size (%d): the producer would reject them (RecordTooLargeException); cap the distribution or raise max.request.size", m, c.MaxRequestSize)
		}
		if pr.Rate.Expected(s.Duration) == 0 && !pr.Rate.ClosedLoop() {
			v.bad(child(p, "rate"), "%s sends nothing during the %v load phase", pr.Rate, s.Duration)
		}
		if c.EnableIdempotence {
			if c.Acks != "all" {
				v.bad(child(cp, "enable.idempotence"), "idempotence needs acks=all, not acks=%s (Kafka: ConfigException)", c.Acks)
			}
			if c.MaxInFlightRequestsPerConnection > 5 {
				v.bad(child(cp, "enable.idempotence"), "idempotence needs max.in.flight.requests.per.connection <= 5, not %d", c.MaxInFlightRequestsPerConnection)
			}
			if c.Retries == 0 {
				v.bad(child(cp, "enable.idempotence"), "idempotence needs retries > 0")
			}
		}
		if c.MaxInFlightRequestsPerConnection < 1 {
			v.bad(child(cp, "max.in.flight.requests.per.connection"), "%d: at least 1", c.MaxInFlightRequestsPerConnection)
		}
		v.atLeast(child(cp, "retries"), int64(c.Retries), 0, false)
		v.atLeast(child(cp, "linger.ms"), int64(c.LingerMs), 0, false)
		v.atLeast(child(cp, "batch.size"), int64(c.BatchSize), 0, false)
		v.atLeast(child(cp, "buffer.memory"), int64(c.BufferMemory), 1, false)
		v.atLeast(child(cp, "retry.backoff.ms"), int64(c.RetryBackoffMs), 0, false)
		v.atLeast(child(cp, "retry.backoff.max.ms"), int64(c.RetryBackoffMaxMs), 0, false)
		v.atLeast(child(cp, "request.timeout.ms"), int64(c.RequestTimeoutMs), 1, false)
		v.atLeast(child(cp, "max.block.ms"), int64(c.MaxBlockMs), 0, false)
		v.atLeast(child(cp, "max.request.size"), int64(c.MaxRequestSize), 1, false)
		v.atLeast(child(cp, "metadata.max.age.ms"), int64(c.MetadataMaxAgeMs), 0, false)
		if c.DeliveryTimeoutMs < c.LingerMs+c.RequestTimeoutMs {
			v.bad(child(cp, "delivery.timeout.ms"), "%d is below linger.ms + request.timeout.ms (%d); Kafka requires at least that", c.DeliveryTimeoutMs, c.LingerMs+c.RequestTimeoutMs)
		}
	}
	for i, co := range s.Consumers {
		p := elem("consumers", i)
		checkName(child(p, "name"), co.Name)
		out[co.Name] = clientInfo{count: co.Count, consumer: true}
		if co.Count < 1 || co.Count > maxClients {
			v.bad(child(p, "count"), "%d is out of range; accepted: 1 to %d", co.Count, maxClients)
		}
		switch {
		case len(co.Topics) == 0 && len(co.Assign) == 0:
			v.bad(child(p, "topics"), "a consumer needs topics (with a group) or assign")
		case len(co.Topics) > 0 && len(co.Assign) > 0:
			v.bad(child(p, "assign"), "give topics (subscribe) or assign, not both")
		case len(co.Topics) > 0 && co.Group == "":
			v.bad(child(p, "group"), "subscribing to topics needs a group (group.id)")
		}
		for j, t := range co.Topics {
			checkTopic(elem(child(p, "topics"), j), t)
		}
		parts := 0
		seen := map[string]bool{}
		assigned := func(path, part string) {
			if seen[part] {
				v.bad(path, "%s is assigned twice", part)
			}
			seen[part] = true
		}
		for j, a := range co.Assign {
			ap := elem(child(p, "assign"), j)
			if !strings.Contains(a, "/") {
				if checkTopic(ap, a) {
					parts += topics[a]
					for k := 0; k < topics[a]; k++ {
						assigned(ap, fmt.Sprintf("%s/%d", a, k))
					}
				}
				continue
			}
			topic, part, err := faults.ParsePartition(a)
			if err != nil {
				v.bad(ap, "%v", err)
				continue
			}
			if checkTopic(ap, topic) {
				if int(part) >= topics[topic] {
					v.bad(ap, "%s has partitions 0 to %d", topic, topics[topic]-1)
				}
				assigned(ap, fmt.Sprintf("%s/%d", topic, part))
				parts++
			}
		}
		if len(co.Assign) > 0 && co.Count > parts {
			v.bad(child(p, "count"), "%d instances share %d assigned partitions: some would read nothing", co.Count, parts)
		}
		if co.Group == "" && co.Commit != CommitNone {
			v.bad(child(p, "commit"), "commit %s needs a group; a consumer without one cannot commit (accepted: none)", co.Commit)
		}
		if co.Group != "" && co.Commit == CommitNone && co.Config.EnableAutoCommit {
			v.bad(child(p, "commit"), "commit none contradicts enable.auto.commit: true")
		}
		if co.Commit.AutoCommits() != co.Config.EnableAutoCommit && co.Commit != CommitNone {
			v.bad(child(p, "commit"), "commit %s contradicts enable.auto.commit: %v (auto commit is enable.auto.commit: true)", co.Commit, co.Config.EnableAutoCommit)
		}
		c, cp := &co.Config, child(p, "config")
		if co.Group != "" {
			b := &s.Cluster.Config
			if c.SessionTimeoutMs < b.GroupMinSessionTimeoutMs || c.SessionTimeoutMs > b.GroupMaxSessionTimeoutMs {
				v.bad(child(cp, "session.timeout.ms"), "%d is outside the brokers' group.min/max.session.timeout.ms (%d to %d): joining would fail with INVALID_SESSION_TIMEOUT", c.SessionTimeoutMs, b.GroupMinSessionTimeoutMs, b.GroupMaxSessionTimeoutMs)
			}
			if c.HeartbeatIntervalMs >= c.SessionTimeoutMs {
				v.bad(child(cp, "heartbeat.interval.ms"), "%d is not below session.timeout.ms (%d)", c.HeartbeatIntervalMs, c.SessionTimeoutMs)
			}
		}
		v.atLeast(child(cp, "auto.commit.interval.ms"), int64(c.AutoCommitIntervalMs), 0, false)
		v.atLeast(child(cp, "heartbeat.interval.ms"), int64(c.HeartbeatIntervalMs), 1, false)
		v.atLeast(child(cp, "max.poll.interval.ms"), int64(c.MaxPollIntervalMs), 1, false)
		v.atLeast(child(cp, "max.poll.records"), int64(c.MaxPollRecords), 1, false)
		v.atLeast(child(cp, "fetch.min.bytes"), int64(c.FetchMinBytes), 0, false)
		v.atLeast(child(cp, "fetch.max.wait.ms"), int64(c.FetchMaxWaitMs), 0, false)
		v.atLeast(child(cp, "fetch.max.bytes"), int64(c.FetchMaxBytes), 0, false)
		v.atLeast(child(cp, "max.partition.fetch.bytes"), int64(c.MaxPartitionFetchBytes), 0, false)
		v.atLeast(child(cp, "request.timeout.ms"), int64(c.RequestTimeoutMs), 1, false)
		v.atLeast(child(cp, "retry.backoff.ms"), int64(c.RetryBackoffMs), 0, false)
	}
	return out
}

func (v *validator) faults(s *Scenario, topics map[string]int, clients map[string]clientInfo) {
	for i := range s.Faults {
		f, p := &s.Faults[i], elem("faults", i)
		for _, e := range f.Validate() {
			v.bad(child(p, e.Field), "%s", e.Msg)
		}
		if f.At >= s.Duration {
			v.bad(child(p, "at"), "%v is not within the %v load phase: the fault would never start", f.At, s.Duration)
		}
		for _, list := range []struct {
			key  string
			sels faults.Selectors
		}{{"target", f.Target}, {"isolate", f.Isolate}, {"from", f.From}, {"to", f.To}} {
			for j, sel := range list.sels {
				sp := child(p, list.key)
				if len(list.sels) > 1 {
					sp = elem(sp, j)
				}
				v.selector(sp, sel, s, topics, clients, f.Kind)
			}
		}
	}
}

func (v *validator) selector(path string, sel faults.Selector, s *Scenario, topics map[string]int, clients map[string]clientInfo, kind faults.Kind) {
	switch sel.Kind {
	case faults.SelBroker:
		if sel.Broker >= s.Cluster.Brokers {
			v.bad(path, "%s: the brokers are broker-0 to broker-%d", sel, s.Cluster.Brokers-1)
		}
	case faults.SelRandom:
		if sel.Count > s.Cluster.Brokers {
			v.bad(path, "%s: only %d brokers", sel, s.Cluster.Brokers)
		}
	case faults.SelLeader, faults.SelFollowers, faults.SelReplicas:
		n, ok := topics[sel.Topic]
		if !ok {
			v.bad(path, "%s: no topic %q", sel, sel.Topic)
		} else if int(sel.Partition) >= n {
			v.bad(path, "%s: %s has partitions 0 to %d", sel, sel.Topic, n-1)
		}
	case faults.SelClient:
		c, ok := clients[sel.Client]
		if !ok {
			names := slices.Sorted(maps.Keys(clients))
			msg := fmt.Sprintf("%s: no producer or consumer named %q (accepted: %s)", sel, sel.Client, faults.SelectorSyntax)
			if near, ok := nearest(sel.Client, names); ok {
				msg += "; did you mean " + near + "?"
			}
			v.bad(path, "%s", msg)
			return
		}
		if sel.Instance >= c.count {
			v.bad(path, "%s: %s has instances 0 to %d", sel, sel.Client, c.count-1)
		}
		if (kind == faults.SlowConsumer || kind == faults.StallConsumer) && !c.consumer {
			v.bad(path, "%s: %s is a producer; kind %s targets consumers", sel, sel.Client, kind)
		}
	}
}

func (v *validator) expect(s *Scenario) {
	e := &s.Expect
	for _, list := range []struct {
		key   string
		names []string
	}{{"anomalies", e.Anomalies}, {"allow", e.Allow}} {
		for j, a := range list.names {
			if !slices.Contains(Anomalies, a) {
				msg := fmt.Sprintf("unknown anomaly %q; accepted: %s", a, strings.Join(Anomalies, ", "))
				if near, ok := nearest(a, Anomalies); ok {
					msg += "; did you mean " + near + "?"
				}
				v.bad(elem(child("expect", list.key), j), "%s", msg)
			}
		}
	}
	for j, a := range e.Allow {
		if slices.Contains(e.Anomalies, a) {
			v.bad(elem(child("expect", "allow"), j), "%s is already required by anomalies", a)
		}
	}
	if bad := e.invalidating(); e.Valid && len(bad) > 0 {
		v.bad(child("expect", "valid"), "valid: true contradicts the required anomalies %s", strings.Join(bad, ", "))
	}
	if e.Throughput < 0 {
		v.bad(child("expect", "throughput.min"), "%v is negative", e.Throughput)
	}
	keys := make([]string, 0, len(e.Latency))
	for k := range e.Latency {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := child(child("expect", "latency.max"), k)
		if !latencyKey.MatchString(k) {
			v.bad(p, "unknown latency bound %q; accepted: produce.pNN or end-to-end.pNN with NN one of 50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100", k)
		}
		if e.Latency[k] <= 0 {
			v.bad(p, "%v: a latency bound must be more than 0s", e.Latency[k])
		}
	}
}

// sweep checks each sweep path and value by loading the scenario with it set.
func (v *validator) sweep(s *Scenario, src []byte, sets []string) {
	paths := slices.Sorted(maps.Keys(s.Sweep))
	for _, path := range paths {
		p := child("sweep", path)
		if len(s.Sweep[path]) == 0 {
			v.bad(p, "a sweep dimension needs at least one value")
		}
		for j, val := range s.Sweep[path] {
			_, err := load(v.d.file, v.d.dir, src, append(slices.Clone(sets), path+"="+string(val)), false)
			if err == nil {
				continue
			}
			msg := err.Error()
			if l, ok := err.(ErrorList); ok && len(l) > 0 {
				// Prefer the error about the swept value itself.
				first := l[0]
				for _, e := range l {
					if e.Flag != "" {
						first = e
						break
					}
				}
				msg = first.Msg
				if first.Path != "" {
					msg = first.Path + ": " + msg
				}
			}
			v.bad(elem(p, j), "the sweep value %s=%s does not load: %s", path, val, msg)
		}
	}
}

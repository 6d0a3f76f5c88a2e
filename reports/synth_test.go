package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// synthSpec shapes a synthetic but realistic run: a producer on an open-loop schedule,
// two consumer groups, three brokers, and two faults — a network partition that stalls
// acknowledgements and consumption, and a broker crash that fails some publishes.
type synthSpec struct {
	Duration  time.Duration
	Rate      int // messages per second, aggregate
	Size      int // payload bytes
	Partition int // partitions of the one topic
	Seed      uint64
	// LatencyScale multiplies service latencies (a sweep knob: bigger batches, slower).
	LatencyScale float64
	// Compression is the ratio of record bytes to wire bytes.
	Compression float64
	// NoFaults leaves out the partition and the crash.
	NoFaults bool
}

type synthEvent struct {
	t    time.Duration
	seq  int
	kind int
	a, b time.Duration
	grp  string
	n    int
}

const (
	evSent = iota
	evAcked
	evFailed
	evConsumed
)

// synthRun drives a Recorder with the events of spec, in time order, and returns the run.
func synthRun(spec synthSpec) *Run {
	if spec.LatencyScale == 0 {
		spec.LatencyScale = 1
	}
	if spec.Compression == 0 {
		spec.Compression = 2.5
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x5eed))
	lognormal := func(median time.Duration, sigma float64) time.Duration {
		return time.Duration(float64(median) * math.Exp(sigma*rng.NormFloat64()))
	}
	partStart, partStop := spec.Duration*2/10, spec.Duration*3/10     // partition: stalls
	crashStart, crashStop := spec.Duration*6/10, spec.Duration*65/100 // broker crash
	if spec.NoFaults {
		partStart, partStop, crashStart, crashStop = -1, -1, -1, -1
	}
	in := func(t, a, b time.Duration) bool { return t >= a && t < b }

	gap := time.Second / time.Duration(spec.Rate)
	n := int(spec.Duration / gap)
	events := make([]synthEvent, 0, 4*n)
	var blockedUntil time.Duration
	for i := range n {
		intended := time.Duration(i) * gap
		send := intended + lognormal(3*time.Microsecond, 0.6)
		if send < blockedUntil {
			send = blockedUntil + lognormal(2*time.Microsecond, 0.3) // buffer full: the producer waited
		}
		ack := send + time.Duration(spec.LatencyScale*float64(lognormal(1500*time.Microsecond, 0.5)))
		if in(send, partStart, partStop) {
			ack = partStop + lognormal(40*time.Millisecond, 0.8) // held until the partition heals
			blockedUntil = max(blockedUntil, send+gap+gap/4)
		}
		events = append(events, synthEvent{t: send, kind: evSent, a: intended, n: spec.Size})
		if in(send, crashStart, crashStop) && rng.IntN(4) == 0 {
			events = append(events, synthEvent{t: send + 30*time.Second/100, kind: evFailed, a: send, n: spec.Size})
			continue
		}
		if ack >= spec.Duration {
			continue
		}
		events = append(events, synthEvent{t: ack, kind: evAcked, a: send, n: spec.Size})
		for gi, g := range []string{"analytics", "billing"} {
			c := ack + time.Duration(spec.LatencyScale*float64(lognormal(time.Duration(2+3*gi)*time.Millisecond, 0.7)))
			if gi == 1 && !spec.NoFaults && in(c, crashStart, crashStop+5*time.Second) {
				c = crashStop + 5*time.Second + lognormal(20*time.Millisecond, 0.5) // slow group catches up late
			}
			if c < spec.Duration {
				events = append(events, synthEvent{t: c, kind: evConsumed, a: send, grp: g, n: spec.Size})
			}
		}
	}
	for i := range events {
		events[i].seq = i
	}
	sort.Slice(events, func(i, j int) bool {
		if events[i].t != events[j].t {
			return events[i].t < events[j].t
		}
		return events[i].seq < events[j].seq
	})

	r := NewRecorder(Config{})
	if !spec.NoFaults {
		r.Fault("partition", "broker-2 | rest", partStart, partStop)
		r.Fault("crash", "broker-1", crashStart, crashStop)
	}
	for id := int32(1); id <= 3; id++ {
		r.Broker(id, BrokerCapacity{Cores: 4, NICBytesPerSec: 12_500_000, DiskBytesPerSec: 20_000_000})
	}
	var cum [4]BrokerCounters
	var acked, consumed [2]int64
	groups := []string{"analytics", "billing"}
	tick := 100 * time.Millisecond
	nextTick := tick
	batch := 0
	flushTick := func(t time.Duration) {
		for nextTick <= t {
			now := nextTick
			for id := int32(1); id <= 3; id++ {
				c := &cum[id]
				load := 1.0
				if id == 1 && in(now, crashStart, crashStop) {
					load = 0
				}
				perSec := float64(spec.Rate) * load * (1 + 0.15*float64(id-2)) * (1 + 0.1*math.Sin(float64(now)/float64(7*time.Second)+float64(id)))
				c.CPUBusy += time.Duration(perSec*float64(400*time.Microsecond)/spec.LatencyScale*(1+1/spec.Compression)) / 10
				c.NetInBytes += int64(perSec * float64(spec.Size) / spec.Compression / 10)
				c.NetOutBytes += int64(perSec * float64(spec.Size) / spec.Compression / 10 * 2)
				c.DiskWriteBytes += int64(perSec * float64(spec.Size) / spec.Compression / 10)
				r.BrokerSample(now, id, *c)
				r.Request(now, "Fetch")
			}
			if now%(500*time.Millisecond) == 0 {
				for gi, g := range groups {
					behind := acked[0] - consumed[gi]
					for p := range spec.Partition {
						share := behind / int64(spec.Partition)
						if int64(p) < behind%int64(spec.Partition) {
							share++
						}
						r.Lag(now, g, "events", int32(p), max(share, 0))
					}
				}
			}
			nextTick += tick
		}
	}
	for _, e := range events {
		flushTick(e.t)
		switch e.kind {
		case evSent:
			r.PublishSent(e.t, e.a, e.n)
			if batch++; batch == 16 {
				r.ProduceBatches(e.t, 1, 16, int64(16*e.n), int64(float64(16*e.n)/spec.Compression))
				r.Request(e.t, "Produce")
				batch = 0
			}
		case evAcked:
			r.PublishAcked(e.t, e.a, e.n)
			acked[0]++
		case evFailed:
			r.PublishFailed(e.t, e.a, e.n)
		case evConsumed:
			r.Consumed(e.t, e.grp, e.a, e.n)
			if e.grp == groups[0] {
				consumed[0]++
			} else {
				consumed[1]++
			}
		}
	}
	flushTick(spec.Duration - 1)
	m := r.Finish(spec.Duration)

	return &Run{
		Name:      "partition-and-crash",
		Seed:      int64(spec.Seed),
		Reproduce: fmt.Sprintf("logsim run scenarios/partition-and-crash.yaml --seed %d", spec.Seed),
		Scenario: map[string]any{
			"name":      "partition-and-crash",
			"brokers":   3,
			"topics":    []any{map[string]any{"name": "events", "partitions": spec.Partition, "replication.factor": 3}},
			"producer":  map[string]any{"acks": "all", "linger.ms": 5, "batch.size": 16384, "compression.type": "lz4"},
			"workload":  map[string]any{"rate": spec.Rate, "message.size": spec.Size},
			"duration":  spec.Duration.String(),
			"faults":    []any{"partition broker-2 at 20%", "crash broker-1 at 60%"},
			"consumers": []any{"analytics", "billing"},
		},
		Verdict: Verdict{
			Status:  "fail",
			Summary: "1 anomaly: acknowledged record lost",
			Anomalies: []Anomaly{{
				Kind:        "lost-write",
				Summary:     "record v-1042 was acknowledged at offset 517 of events-2 but never read",
				Explanation: "The producer got an ack for v-1042 (acks=all) from broker 1 at 6.000s.\nBroker 1 crashed at 6.000s before the follower fetched offset 517;\nthe new leader (broker 3) truncated its log to offset 516.",
				Details:     map[string]any{"value": "v-1042", "partition": "events-2", "offset": 517},
			}},
			Details: map[string]any{"valid": false, "anomalies": []any{"lost-write"}},
		},
		Porcupine: "linearizability.html",
		OMB: OMBInfo{Workload: "partition-and-crash", Driver: "logsim-kafka", MessageSize: int64(spec.Size),
			Topics: 1, Partitions: spec.Partition, ProducersPerTopic: 1, ConsumersPerTopic: 1},
		Metrics: m,
	}
}

package client

import (
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// TimerBase namespaces the timer kinds of this package's components: a host Machine
// may use any kind outside [TimerBase, TimerBase+0xffff].
const TimerBase int32 = 0x4b430000 // "KC"

// Timer kinds, TimerBase plus a component offset.
const (
	timerMetadata int32 = TimerBase + iota + 1
	timerMetadataTimeout
	timerLinger
	timerRequestTimeout
	timerRetry
	timerExpiry
	timerMaxBlock
	timerInitProducerID
	// Kinds up to TimerBase+0x7fff are the producer's; the consumer takes the rest.
)

// OwnsTimer reports whether a timer kind belongs to this package.
func OwnsTimer(kind int32) bool { return kind >= TimerBase && kind <= TimerBase+0xffff }

// PartitionLeader is what the client knows of a partition.
type PartitionLeader struct {
	Leader int32
	Epoch  int32
	Err    proto.ErrorCode
}

// Metadata is a client's view of the cluster: topics, their partitions' leaders and
// epochs, and the live brokers, refreshed with MetadataRequests. The producer and the
// consumer each own one (Kafka's clients each have their own metadata too).
type Metadata struct {
	env       node.Env
	bootstrap []node.ID
	maxAge    time.Duration
	backoff   time.Duration
	timeout   time.Duration

	topics  map[string][]PartitionLeader
	errs    map[string]proto.ErrorCode
	brokers []int32
	wanted  []string // topics of interest, sorted

	corrBase   int64
	corr       int64
	inflight   int64
	inflightTo node.ID
	needUpdate bool
	last       time.Duration
	next       int // round-robin over brokers
	timerSet   bool
	timerAt    time.Duration
	// Version counts applied responses, so that users can cache lookups.
	Version uint64
	// OnUpdate is called after each applied response.
	OnUpdate func()
}

// NewMetadata returns an empty view. corrBase namespaces the correlation ids of its
// requests so that components sharing a node never confuse their responses.
func NewMetadata(env node.Env, bootstrap []node.ID, maxAge, backoff, timeout time.Duration, corrBase int64) *Metadata {
	return &Metadata{env: env, bootstrap: slices.Clone(bootstrap), maxAge: maxAge, backoff: backoff, timeout: timeout,
		topics: map[string][]PartitionLeader{}, errs: map[string]proto.ErrorCode{}, corrBase: corrBase, corr: corrBase}
}

// Want adds a topic of interest and asks for an update if it is new.
func (m *Metadata) Want(topic string) {
	i, found := slices.BinarySearch(m.wanted, topic)
	if !found {
		m.wanted = slices.Insert(m.wanted, i, topic)
		m.RequestUpdate()
	}
}

// Partitions is the partition count of a topic, 0 if unknown.
func (m *Metadata) Partitions(topic string) int { return len(m.topics[topic]) }

// TopicError is the error the last response gave for a topic.
func (m *Metadata) TopicError(topic string) proto.ErrorCode { return m.errs[topic] }

// Leader returns the leader of tp and its epoch; ok is false when there is none known.
func (m *Metadata) Leader(tp proto.TopicPartition) (node.ID, int32, bool) {
	ps := m.topics[tp.Topic]
	if int(tp.Partition) >= len(ps) || tp.Partition < 0 {
		return node.None, -1, false
	}
	p := ps[tp.Partition]
	if p.Leader < 0 {
		return node.None, p.Epoch, false
	}
	return node.ID(p.Leader), p.Epoch, true
}

// RequestUpdate asks for a refresh as soon as possible (after an error that suggests
// the metadata is stale: NOT_LEADER_OR_FOLLOWER and the like).
func (m *Metadata) RequestUpdate() {
	m.needUpdate = true
	m.maybeRequest()
}

// Start begins the periodic refresh (metadata.max.age.ms).
func (m *Metadata) Start() {
	m.RequestUpdate()
}

func (m *Metadata) maybeRequest() {
	if m.inflight != 0 || len(m.wanted) == 0 {
		return
	}
	now := m.env.Now()
	if !m.needUpdate && now-m.last < m.maxAge {
		m.arm(m.last + m.maxAge - now)
		return
	}
	if m.last > 0 && now-m.last < m.backoff {
		m.arm(m.backoff - (now - m.last))
		return
	}
	to := m.pick()
	m.corr++
	m.inflight, m.inflightTo = m.corr, to
	m.last = now
	m.env.Send(to, &proto.MetadataRequest{Correlation: m.corr, Topics: slices.Clone(m.wanted)})
	m.env.After(m.timeout, node.Timer{Kind: timerMetadataTimeout, Arg: m.corr})
}

// arm sets the refresh timer for d from now, unless one is set for sooner.
func (m *Metadata) arm(d time.Duration) {
	at := m.env.Now() + d
	if m.timerSet && m.timerAt <= at {
		return
	}
	m.timerSet, m.timerAt = true, at
	m.env.After(d, node.Timer{Kind: timerMetadata})
}

// pick chooses the broker to ask: round-robin over the known live brokers, or the
// bootstrap servers while none is known.
func (m *Metadata) pick() node.ID {
	var ids []node.ID
	for _, b := range m.brokers {
		ids = append(ids, node.ID(b))
	}
	if len(ids) == 0 {
		ids = m.bootstrap
	}
	m.next++
	return ids[m.next%len(ids)]
}

// Handle consumes the component's metadata events.
func (m *Metadata) Handle(ev node.Event) bool {
	switch ev.Kind {
	case node.Recv:
		resp, ok := ev.Msg.(*proto.MetadataResponse)
		if !ok || resp.Correlation <= m.corrBase || resp.Correlation > m.corrBase+1<<32 {
			return false
		}
		if resp.Correlation == m.inflight {
			m.inflight = 0
			m.apply(resp)
			m.maybeRequest()
		}
		return true
	case node.TimerFired:
		switch ev.Timer.Kind {
		case timerMetadata:
			// The refresh timer carries nothing that says whose it is: when a node
			// hosts a producer and a consumer, each Metadata takes it as a wake-up
			// (harmless if early) and it is reported as not consumed, like a
			// disconnect, so that every component sees it.
			if m.env.Now() >= m.timerAt {
				m.timerSet = false // the earliest timer; a later, replaced one may follow
			}
			m.maybeRequest()
			return false
		case timerMetadataTimeout:
			if ev.Timer.Arg <= m.corrBase || ev.Timer.Arg > m.corrBase+1<<32 {
				return false // another component's request
			}
			if ev.Timer.Arg == m.inflight {
				m.inflight = 0
				m.needUpdate = true
				m.maybeRequest()
			}
			return true
		}
	case node.Disconnected:
		if m.inflight != 0 && ev.From == m.inflightTo {
			m.inflight = 0
			m.needUpdate = true
			m.arm(m.backoff)
		}
	}
	return false
}

// apply takes a response in, never going back to an older leader epoch (KIP-320).
func (m *Metadata) apply(resp *proto.MetadataResponse) {
	if len(resp.Brokers) > 0 {
		m.brokers = slices.Clone(resp.Brokers)
	}
	m.needUpdate = false
	for _, t := range resp.Topics {
		m.errs[t.Name] = t.Err
		if t.Err != proto.NONE {
			m.needUpdate = true
			continue
		}
		old := m.topics[t.Name]
		ps := make([]PartitionLeader, len(t.Partitions))
		for _, p := range t.Partitions {
			if int(p.Partition) >= len(ps) {
				continue
			}
			pl := PartitionLeader{Leader: p.Leader, Epoch: p.LeaderEpoch, Err: p.Err}
			if int(p.Partition) < len(old) && old[p.Partition].Epoch > p.LeaderEpoch {
				pl = old[p.Partition]
			}
			if pl.Leader < 0 {
				m.needUpdate = true
			}
			ps[p.Partition] = pl
		}
		m.topics[t.Name] = ps
	}
	m.Version++
	for _, t := range m.wanted {
		if len(m.topics[t]) == 0 {
			m.needUpdate = true // asked for after this request left
		}
	}
	if m.OnUpdate != nil {
		m.OnUpdate()
	}
}

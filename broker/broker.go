package broker

import (
	"slices"
	"time"

	"logsim/broker/group"
	"logsim/broker/node"
	"logsim/broker/partition"
	"logsim/broker/proto"
)

// Timer kinds of the broker.
const (
	timerRegister int32 = iota + 1
	timerHeartbeat
	timerRetention
	timerFlush
	timerISR
	timerFetchBackoff // Arg: leader id
	timerFetchTimeout // Arg: correlation
	timerProduceTimeout
	timerFetchWait
	timerAlterTimeout
	timerGroupTick
)

// Broker is the broker node Machine.
type Broker struct {
	cfg      Config
	env      node.Env
	id       int32
	observer Observer

	incarnation int64
	brokerEpoch int64 // 0 until registered
	registered  bool
	halted      bool
	// registerTimer and heartbeatTimer are set while their (single) timer runs.
	registerTimer  bool
	heartbeatTimer bool

	// The metadata image, as pushed by the controller.
	metaOffset int64
	topics     map[string]proto.TopicRecord
	brokers    map[int32]proto.BrokerState
	parts      map[proto.TopicPartition]*proto.PartitionState

	// replicas holds the hosted replicas by topic, then by partition number; replicaOf
	// looks them up. Replicas are only ever added (until the next Start).
	replicas    map[string]*topicReplicas
	replicaList []*replica // sorted by topic/partition, for deterministic iteration
	// lastTopic and lastReplicas cache replicaOf's most recent topic, prevTopic and
	// prevReplicas the one before: the partitions of a request mostly share one topic,
	// and requests alternate between few (a follower's fetch names the data topics and
	// __consumer_offsets), so most lookups cost a string comparison and an index rather
	// than a hash of the topic name.
	lastTopic, prevTopic       string
	lastReplicas, prevReplicas *topicReplicas

	fetchers map[int32]*fetcher // follower fetch sessions, by leader id

	corr         int64
	waits        map[int64]*produceWait
	parkedFetch  map[int64]*parkedFetch
	alterPending map[int64][]*replica // AlterPartition correlation -> replicas
	flushOps     map[node.OpID]flushOp

	nextProducerID int64
	stats          Stats
	dirty          []*replica

	// Scratch memory of the fetch paths, reused across requests.
	fetchReps   []*replica             // resolveFetch's result
	wakeScratch []fetchWaiter          // wakeFetchers' copy of a replica's waiters
	spareFetch  []*proto.FetchResponse // see recycleFetchResponse
	freeParked  []*parkedFetch         // see newParkedFetch
	// freeGroupWaits are coordinator appends' purgatory entries (see newGroupWait).
	freeGroupWaits []*produceAlloc

	// The group coordinator of the __consumer_offsets partitions this broker leads.
	groups            *group.Coordinator
	groupTickAt       time.Duration     // the armed deadline timer, 0 if none
	groupDone         []groupAppendDone // completed coordinator appends to hand back
	offsetsTopicAsked time.Duration     // when __consumer_offsets was last requested
}

// New returns a broker with cfg. The host sets an Observer with SetObserver before
// Start if it wants the harness events.
func New(cfg Config) *Broker {
	return &Broker{cfg: cfg}
}

// SetObserver installs the hook called synchronously on leader changes, truncations
// and log-start moves.
func (b *Broker) SetObserver(o Observer) { b.observer = o }

// Start boots the broker: it recovers its logs from disk after a restart, then
// registers with the controller.
func (b *Broker) Start(env node.Env, restart bool) {
	if !(b.cfg.Validate() == nil) {
		failf("invalid config: %v", b.cfg.Validate())
	}
	b.env = env
	b.id = int32(env.ID())
	b.incarnation = int64(env.Rand().Uint64() >> 1)
	b.topics = map[string]proto.TopicRecord{}
	b.brokers = map[int32]proto.BrokerState{}
	b.parts = map[proto.TopicPartition]*proto.PartitionState{}
	b.replicas = map[string]*topicReplicas{}
	b.lastTopic, b.lastReplicas, b.prevTopic, b.prevReplicas = "", nil, "", nil
	b.fetchers = map[int32]*fetcher{}
	b.waits = map[int64]*produceWait{}
	b.parkedFetch = map[int64]*parkedFetch{}
	b.alterPending = map[int64][]*replica{}
	b.flushOps = map[node.OpID]flushOp{}
	// The coordinator's member ids come from the incarnation, so that no extra draw
	// from the node's random stream is needed.
	b.groups = group.New(b.cfg.Group, uint64(b.incarnation)^uint64(b.id)<<48)
	b.groupTickAt, b.groupDone, b.offsetsTopicAsked = 0, nil, 0
	if restart {
		b.recover()
	}
	b.register()
	env.After(b.cfg.LogRetentionCheckInterval, node.Timer{Kind: timerRetention})
	env.After(b.cfg.LogFlushSchedulerInterval, node.Timer{Kind: timerFlush})
	env.After(b.cfg.ReplicaLagTimeMax/2, node.Timer{Kind: timerISR})
}

// Handle reacts to one event and then checks the invariants of what it touched.
func (b *Broker) Handle(ev node.Event) {
	if b.halted {
		return
	}
	switch ev.Kind {
	case node.Recv:
		b.recv(ev.From, ev.Msg)
	case node.TimerFired:
		b.timer(ev.Timer)
	case node.DiskDone:
		b.diskDone(ev.Op, ev.Err)
	case node.Disconnected:
		b.disconnected(ev.From)
	}
	b.finishGroupAppends()
	b.checkInvariants()
}

func (b *Broker) recv(from node.ID, m node.Message) {
	b.stats.BytesIn += int64(m.Size())
	b.env.Charge(b.cfg.CPU.PerRequest)
	switch m := m.(type) {
	case *proto.ProduceRequest:
		b.stats.Requests[apiProduce]++
		b.handleProduce(from, m)
	case *proto.FetchRequest:
		b.stats.Requests[apiFetch]++
		b.handleFetch(from, m)
	case *proto.FetchResponse:
		b.handleFetchResponse(from, m)
	case *proto.OffsetForLeaderEpochRequest:
		b.stats.Requests[apiOffsetForLeaderEpoch]++
		b.handleOffsetForLeaderEpoch(from, m)
	case *proto.OffsetForLeaderEpochResponse:
		b.handleOffsetForLeaderEpochResponse(from, m)
	case *proto.MetadataRequest:
		b.stats.Requests[apiMetadata]++
		b.send(from, b.metadataResponse(m))
	case *proto.ListOffsetsRequest:
		b.stats.Requests[apiListOffsets]++
		b.handleListOffsets(from, m)
	case *proto.InitProducerIdRequest:
		b.stats.Requests[apiInitProducerId]++
		b.handleInitProducerId(from, m)
	case *proto.UpdateMetadataRequest:
		b.handleUpdateMetadata(m)
	case *proto.BrokerRegistrationResponse:
		b.handleRegistrationResponse(m)
	case *proto.BrokerHeartbeatResponse:
		b.handleHeartbeatResponse(m)
	case *proto.AlterPartitionResponse:
		b.handleAlterPartitionResponse(m)
	default:
		b.handleGroupRequest(from, m)
	}
}

func (b *Broker) timer(t node.Timer) {
	switch t.Kind {
	case timerRegister:
		b.registerTimer = false
		if !b.registered {
			b.register()
		}
	case timerHeartbeat:
		b.heartbeatTimer = false
		b.heartbeat()
	case timerRetention:
		b.applyRetention()
		b.env.After(b.cfg.LogRetentionCheckInterval, node.Timer{Kind: timerRetention})
	case timerFlush:
		b.flushDue()
		b.env.After(b.cfg.LogFlushSchedulerInterval, node.Timer{Kind: timerFlush})
	case timerISR:
		b.maybeShrinkISR()
		b.env.After(b.cfg.ReplicaLagTimeMax/2, node.Timer{Kind: timerISR})
	case timerFetchBackoff:
		if f := b.fetchers[int32(t.Arg)]; f != nil {
			f.backoff = false
			b.maybeFetch(f)
		}
	case timerFetchTimeout:
		b.fetchTimedOut(t.Arg)
	case timerProduceTimeout:
		b.produceTimedOut(t.Arg)
	case timerFetchWait:
		if pf := b.parkedFetch[t.Arg]; pf != nil {
			b.completeParkedFetch(pf)
		}
	case timerGroupTick:
		b.groupTick()
	case timerAlterTimeout:
		if rs, ok := b.alterPending[t.Arg]; ok {
			delete(b.alterPending, t.Arg)
			for _, r := range rs {
				r.alterInFlight = false
				r.PendingISR = nil
			}
		}
	}
}

func (b *Broker) disconnected(peer node.ID) {
	if int32(peer) == int32(b.cfg.Controller) {
		// AlterPartition requests in flight are lost with the connection.
		for corr, rs := range b.alterPending {
			delete(b.alterPending, corr)
			for _, r := range rs {
				r.alterInFlight = false
				r.PendingISR = nil
			}
		}
		if !b.registered && !b.registerTimer {
			b.registerTimer = true
			b.env.After(b.cfg.BrokerHeartbeatInterval/2, node.Timer{Kind: timerRegister})
		}
	}
	if f := b.fetchers[int32(peer)]; f != nil && f.inflight != 0 {
		b.fetchFailed(f)
	}
}

// send delivers m to a peer and counts the bytes.
func (b *Broker) send(to node.ID, m node.Message) {
	b.stats.BytesOut += int64(m.Size())
	b.env.Send(to, m)
}

func (b *Broker) nextCorrelation() int64 {
	b.corr++
	return b.corr
}

// halt stops the broker after a storage failure: Kafka exits when its only log
// directory fails. The node stays silent until the host restarts it.
func (b *Broker) halt(why string) {
	b.env.Logf("broker %d: %s; halting", b.id, why)
	b.halted = true
}

// Halted reports whether the broker stopped itself after a storage failure.
func (b *Broker) Halted() bool { return b.halted }

// touch marks a replica for the invariant check after this event.
func (b *Broker) touch(r *replica) {
	if !r.dirty {
		r.dirty = true
		b.dirty = append(b.dirty, r)
	}
}

func (b *Broker) checkInvariants() {
	for _, r := range b.dirty {
		r.dirty = false
		r.CheckInvariants()
		if r.IsLeader() {
			if r.hwEpoch == r.State.LeaderEpoch {
				if !(r.HW >= r.lastLeaderHW) {
					failf("%s on %d: leader HW moved back from %d to %d in epoch %d",
						r.TP, b.id, r.lastLeaderHW, r.HW, r.State.LeaderEpoch)
				}
			}
			r.hwEpoch, r.lastLeaderHW = r.State.LeaderEpoch, r.HW
			if !(slices.Contains(r.State.ISR, b.id) || len(r.State.ISR) == 0) {
				failf("%s: leader %d not in ISR %v", r.TP, b.id, r.State.ISR)
			}
		}
		if r.State.LeaderEpoch >= 0 && r.Log.LatestEpoch() > r.State.LeaderEpoch {
			failf("%s on %d: log holds epoch %d beyond the known leader epoch %d", r.TP, b.id, r.Log.LatestEpoch(), r.State.LeaderEpoch)
		}
		if !(r.State.LeaderEpoch >= r.maxEpochSeen) {
			failf("%s on %d: leader epoch went back from %d to %d", r.TP, b.id, r.maxEpochSeen, r.State.LeaderEpoch)
		}
		r.maxEpochSeen = r.State.LeaderEpoch
	}
	b.dirty = b.dirty[:0]
}

// replica is a hosted partition replica with the broker's bookkeeping around the pure
// partition.Replica.
type replica struct {
	*partition.Replica
	settings topicSettings

	// follower side
	fetchState    fetchState
	truncInFlight bool

	// leader side
	produceWaiters []waiter
	fetchWaiters   []fetchWaiter
	alterInFlight  bool

	flushing bool // a blocking fsync holds StableEnd below the LEO
	flushOp  node.OpID

	dirty        bool
	hwEpoch      int32
	lastLeaderHW int64
	maxEpochSeen int32
}

type fetchState uint8

const (
	fetchIdle       fetchState = iota // leader, or no leader known
	fetchTruncating                   // must ask the leader where our logs diverge
	fetchFetching
)

// topicReplicas are one topic's hosted replicas, indexed by partition number (nil
// where this broker hosts none). It is a struct so that replicaOf's cached pointer to
// it stays valid as parts grows.
type topicReplicas struct {
	parts []*replica
}

// replicaOf returns the hosted replica of tp, nil if none.
func (b *Broker) replicaOf(tp proto.TopicPartition) *replica {
	t := b.lastReplicas
	if t == nil || tp.Topic != b.lastTopic {
		if t = b.prevReplicas; t == nil || tp.Topic != b.prevTopic {
			if t = b.replicas[tp.Topic]; t == nil {
				return nil
			}
		}
		b.prevTopic, b.prevReplicas = b.lastTopic, b.lastReplicas
		b.lastTopic, b.lastReplicas = tp.Topic, t
	}
	if tp.Partition < 0 || int(tp.Partition) >= len(t.parts) {
		return nil
	}
	return t.parts[tp.Partition]
}

// addReplica hosts a new replica (from metadata or recovery).
func (b *Broker) addReplica(r *replica) {
	if r.TP.Partition < 0 || b.replicaOf(r.TP) != nil {
		failf("%s on %d: replica added twice or with a negative partition", r.TP, b.id)
	}
	t := b.replicas[r.TP.Topic]
	if t == nil {
		t = &topicReplicas{}
		b.replicas[r.TP.Topic] = t
	}
	if n := int(r.TP.Partition) + 1; n > len(t.parts) {
		t.parts = append(t.parts, make([]*replica, n-len(t.parts))...)
	}
	t.parts[r.TP.Partition] = r
	i, _ := slices.BinarySearchFunc(b.replicaList, r.TP, func(x *replica, tp proto.TopicPartition) int { return x.TP.Compare(tp) })
	b.replicaList = slices.Insert(b.replicaList, i, r)
	r.maxEpochSeen = r.State.LeaderEpoch
}

func (b *Broker) now() time.Duration { return b.env.Now() }

package client

// The consumer: Kafka's KafkaConsumer as a component of a client node.
//
// Behaviour:
//   - Subscribe joins the group (group management); Assign takes partitions by hand.
//     Joining, like in Kafka, happens inside Poll: a consumer that stops polling
//     neither joins nor rejoins, and after max.poll.interval.ms without a poll it
//     leaves the group (its partitions move) and rejoins as a new member on its next
//     poll.
//   - Positions come from the group's committed offsets (OffsetFetch), else from
//     auto.offset.reset (ListOffsets earliest or latest; none fails the poll). A
//     committed offset with a leader epoch, and any position after a leader change,
//     is validated with OffsetForLeaderEpoch (KIP-320) unless TruncationDetection is
//     off: a position past the point where the new leader's log diverges is moved
//     back to it (or, with none, fails the poll with LOG_TRUNCATION).
//   - Fetching runs ahead of Poll, one request per leader at a time, for partitions
//     with nothing buffered, with fetch.min.bytes, fetch.max.wait.ms, fetch.max.bytes
//     and max.partition.fetch.bytes. OFFSET_OUT_OF_RANGE resets per
//     auto.offset.reset.
//   - Poll returns up to max.poll.records from the buffer, charging deserialization
//     and decompression as CPU, and advances the positions. With enable.auto.commit,
//     Poll first commits the positions of what earlier polls returned once
//     auto.commit.interval.ms has passed, and a rejoin commits them before joining,
//     as Kafka's consumer does.
//   - Every subscribe, assign, poll, commit, rebalance and position reset is reported
//     to OnEvent, which hosts turn into the history.

import (
	"fmt"
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// Timer kinds of the consumer (the upper half of the package's range).
const (
	timerConsumerHeartbeat int32 = TimerBase + 0x8000 + iota
	timerConsumerRequestTimeout
	timerConsumerWake
	timerConsumerPollTimeout
	timerConsumerCommitTimeout
	timerAppProcess
	timerAppPoll
)

// ConsumerRecord is one record returned by Poll.
type ConsumerRecord struct {
	TP     proto.TopicPartition
	Offset int64
	// LeaderEpoch is the epoch of the batch that carried it.
	LeaderEpoch int32
	Value       int64
	Key         string
	Size        int32
	Timestamp   time.Duration
}

// PollResult is what one Poll returned.
type PollResult struct {
	// Records belong to the poller. An App hands them back to its consumer once it
	// has processed them, and the next poll reuses their memory.
	Records []ConsumerRecord
	// Err is a Kafka error name when the poll failed (OFFSET_OUT_OF_RANGE,
	// NO_OFFSET_FOR_PARTITION and LOG_TRUNCATION with auto.offset.reset=none,
	// CORRUPT_MESSAGE, or a fatal group error such as INCONSISTENT_GROUP_PROTOCOL).
	Err string
}

// ConsumerEventKind says what a ConsumerEvent reports.
type ConsumerEventKind uint8

// The consumer's events.
const (
	// EventSubscribe: Subscribe was called with Topics.
	EventSubscribe ConsumerEventKind = iota + 1
	// EventAssign: Assign was called with Partitions.
	EventAssign
	// EventPollInvoke: Poll was called (ID pairs it with its EventPoll).
	EventPollInvoke
	// EventPoll: a poll returned Records, or failed with Err.
	EventPoll
	// EventCommitInvoke: a commit of Offsets started (Auto for auto-commits).
	EventCommitInvoke
	// EventCommit: the commit with ID completed, Err "" when it took effect.
	EventCommit
	// EventRebalance: the assignment changed to Partitions (Revoked and Added are the
	// difference; Lost when partitions were dropped without revocation).
	EventRebalance
	// EventReset: the position of TP moved from From to To for Reason.
	EventReset
)

var consumerEventNames = [...]string{"", "subscribe", "assign", "poll-invoke", "poll", "commit-invoke", "commit", "rebalance", "reset"}

// String names the kind.
func (k ConsumerEventKind) String() string {
	if int(k) < len(consumerEventNames) {
		return consumerEventNames[k]
	}
	return "unknown"
}

// ConsumerEvent is one thing the consumer did, for the history and for traces. A host
// records them as the history (spec/history.md) defines, with the consumer's process
// and Group as the line's group:
//
//   - EventSubscribe: invoke and ok of f "subscribe" with value Topics.
//   - EventAssign: invoke and ok of f "assign" with value Partitions as keys.
//   - EventPollInvoke / EventPoll: invoke of f "poll" with [["poll"]], then ok with
//     [["poll", {key: [[offset, value], ...]}]] built from Records in order, or fail
//     with error Err (the poll returned nothing).
//   - EventCommitInvoke / EventCommit: invoke of f "commit" with {key: offset} from
//     Offsets, then ok, or fail with error Err when the coordinator refused it
//     (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS), or info when
//     its outcome is unknown (REQUEST_TIMED_OUT). Auto marks auto-commits, which a
//     history records like explicit commits.
//   - EventRebalance: the harness event "rebalance" with group, process, Generation
//     and the assignment Partitions.
//   - EventReset is not a history line; reports and traces use it.
type ConsumerEvent struct {
	Kind  ConsumerEventKind
	Group string
	// ID pairs an invocation with its completion (polls and commits).
	ID     int64
	Topics []string
	// Partitions: the assigned partitions (Assign), or the whole assignment after a
	// rebalance.
	Partitions     []proto.TopicPartition
	Revoked, Added []proto.TopicPartition
	Lost           bool
	Generation     int32
	MemberID       string
	// Records are the poll's records. They are valid during the observer's call only:
	// an App reuses their memory once it has processed them.
	Records []ConsumerRecord
	// Offsets are the commit's own (its requests carry the same slice): an observer
	// may keep them but must not modify them.
	Offsets  []proto.OffsetCommitPartition
	Auto     bool
	Err      string
	TP       proto.TopicPartition
	From, To int64
	Reason   string
}

// ConsumerStats are a consumer's counters.
type ConsumerStats struct {
	Polls, Records, Bytes        int64
	Fetches, EmptyFetches        int64
	Commits, CommitsFailed       int64
	Rebalances, Resets           int64
	TruncationsDetected          int64
	MaxPollGap                   time.Duration
	DecompressTime, DeserialTime time.Duration
}

type subscriptionMode uint8

const (
	modeNone subscriptionMode = iota
	modeSubscribe
	modeAssign
)

type partState uint8

const (
	partNeedsCommitted partState = iota
	partNeedsReset
	partNeedsValidation
	partFetchable
	partFailed
)

// partition is an assigned partition's fetch state.
type partition struct {
	tp    proto.TopicPartition
	state partState
	busy  bool // a position request (OffsetFetch, ListOffsets, validation) is out
	// position is the next offset to return; positionEpoch the epoch of the record
	// before it (-1 unknown).
	position      int64
	positionEpoch int32
	// leaderEpoch is the leader epoch the position was validated against.
	leaderEpoch   int32
	fetching      bool
	buffered      bool
	highWatermark int64
	logStart      int64
	failErr       string
	retryAt       time.Duration
	// assigned is set while p is the partition's entry in the assignment (c.parts),
	// so that responses and checks need no lookup by name.
	assigned bool
}

type completedFetch struct {
	p       *partition
	batches []*proto.RecordBatch
	batch   int  // next batch
	charged bool // the current batch's decompression is charged
}

type requestKind uint8

const (
	reqFindCoordinator requestKind = iota + 1
	reqJoin
	reqSync
	reqHeartbeat
	reqLeave
	reqCommit
	reqOffsetFetch
	reqListOffsets
	reqEpoch
	reqFetch
)

type request struct {
	kind   requestKind
	corr   int64
	to     node.ID
	timer  node.TimerID
	parts  []*partition
	commit *commitOp
	// fetch: the position each partition was fetched at
	offsets []int64
}

type commitOp struct {
	id       int64
	offsets  []proto.OffsetCommitPartition
	auto     bool
	deadline time.Duration
	sent     bool
	done     func(err string)
	// timer is the default.api.timeout.ms timer (timed: armed), cancelled when the
	// commit completes first: commits come once per poll, and a stale timer firing a
	// minute later would be an event of its own.
	timer node.TimerID
	timed bool
	// req is the memory of the commit's first OffsetCommitRequest (a retry, while the
	// coordinator may still hold the first, takes a new one), and positions that of
	// the offsets of a commit of the current positions: one allocation for the usual
	// commit.
	req       proto.OffsetCommitRequest
	reqUsed   bool
	positions [4]proto.OffsetCommitPartition
}

type pendingPoll struct {
	id    int64
	timer node.TimerID
	done  func(PollResult)
}

type memberState uint8

const (
	unjoined  memberState = iota
	preparing             // onJoinPrepare: a commit before rejoining is out
	joining
	syncing
	stable
)

// Consumer is Kafka's consumer as a component of a client node.
type Consumer struct {
	env       node.Env
	cfg       ConsumerConfig
	meta      *Metadata
	assignors []Assignor
	protocol  RebalanceProtocol

	// OnEvent, if set, receives every event (see ConsumerEventKind).
	OnEvent func(ConsumerEvent)

	// spareRecords is a poll's slice its App has processed, for the next poll.
	spareRecords []ConsumerRecord

	mode   subscriptionMode
	topics []string
	parts  map[proto.TopicPartition]*partition
	order  []*partition // sorted by topic/partition

	coord         node.ID
	coordRetryAt  time.Duration
	memberID      string
	generation    int32
	state         memberState
	rejoin        bool
	isLeader      bool
	pendingSync   *proto.JoinGroupResponse
	lastHBAck     time.Duration
	hbTimerSet    bool
	joinRetryAt   time.Duration
	prepareCommit int64

	corrBase int64
	corr     int64
	inflight map[int64]*request
	fetchTo  fetchSlots
	// fetchCands and fetchLeaders are stepFetches' scratch lists.
	fetchCands   []fetchCand
	fetchLeaders []node.ID
	buffer       []*completedFetch
	// freeRequests and freeFetches are requests and completed fetches done with, for
	// reuse (see newRequest and newCompletedFetch); sparePoll is the last finished poll.
	freeRequests []*request
	freeFetches  []*completedFetch
	sparePoll    *pendingPoll
	// spareReqs are fetch requests the brokers handed back, spareResps handled fetch
	// responses to hand back (see reuseFetchMemory).
	spareReqs  []*proto.FetchRequest
	spareResps []spareResponse
	wakeAt     time.Duration
	nextProbe  int

	poll           *pendingPoll
	pollSeq        int64
	lastPoll       time.Duration
	nextAutoCommit time.Duration
	lastAuto       []proto.OffsetCommitPartition
	commits        []*commitOp
	commitSeq      int64
	pollErr        string
	fatal          string
	closed         bool
	stats          ConsumerStats
}

// NewConsumer builds a consumer for the node whose Env is env. It panics on an invalid
// config (validate user input with ConsumerConfig.Validate first).
func NewConsumer(env node.Env, cfg ConsumerConfig) *Consumer {
	if err := cfg.Validate(); err != nil {
		panic("client: invalid consumer config: " + err.Error())
	}
	base := cfg.CorrelationBase
	if base == 0 {
		base = 2 << 40
	}
	c := &Consumer{env: env, cfg: cfg, corrBase: base, corr: base + 1<<33, coord: node.None, generation: proto.NoGeneration,
		parts: map[proto.TopicPartition]*partition{}, inflight: map[int64]*request{}}
	c.protocol = Cooperative
	for _, name := range cfg.PartitionAssignmentStrategy {
		a, _ := AssignorByName(name)
		c.assignors = append(c.assignors, a)
		if a.Protocol() != Cooperative {
			c.protocol = Eager
		}
	}
	c.meta = NewMetadata(env, cfg.BootstrapServers, cfg.MetadataMaxAge, cfg.RetryBackoff, cfg.RequestTimeout, base)
	c.meta.OnUpdate = c.metadataUpdated
	c.lastPoll = env.Now()
	return c
}

// Metadata is the consumer's view of the cluster.
func (c *Consumer) Metadata() *Metadata { return c.meta }

// Config returns the settings.
func (c *Consumer) Config() ConsumerConfig { return c.cfg }

// Stats returns the counters.
func (c *Consumer) Stats() ConsumerStats { return c.stats }

// Protocol is the rebalance protocol the consumer uses.
func (c *Consumer) Protocol() RebalanceProtocol { return c.protocol }

// MemberID and Generation are the consumer's group membership ("" and -1 outside).
func (c *Consumer) MemberID() string { return c.memberID }

// Generation is the group generation the consumer belongs to, -1 if none.
func (c *Consumer) Generation() int32 { return c.generation }

// Assignment is the partitions the consumer holds now, sorted.
func (c *Consumer) Assignment() []proto.TopicPartition {
	out := make([]proto.TopicPartition, len(c.order))
	for i, p := range c.order {
		out[i] = p.tp
	}
	return out
}

// Position is the next offset Poll returns for tp; ok is false when unknown.
func (c *Consumer) Position(tp proto.TopicPartition) (int64, bool) {
	p := c.parts[tp]
	if p == nil || p.state != partFetchable && p.state != partNeedsValidation {
		return 0, false
	}
	return p.position, true
}

// Lag is, per assigned partition with a known position, the high watermark seen in
// the last fetch minus the position.
func (c *Consumer) Lag() map[proto.TopicPartition]int64 {
	out := map[proto.TopicPartition]int64{}
	for _, p := range c.order {
		if p.state == partFetchable && p.highWatermark >= 0 {
			out[p.tp] = max(p.highWatermark-p.position, 0)
		}
	}
	return out
}

func (c *Consumer) emit(ev ConsumerEvent) {
	if c.OnEvent != nil {
		ev.Group = c.cfg.GroupID
		c.OnEvent(ev)
	}
}

// Subscribe sets the topics to consume with group management. It needs a group id.
func (c *Consumer) Subscribe(topics []string) {
	if !(c.cfg.GroupID != "") {
		consumerAssertf(false, "Subscribe without group.id")
	}
	if !(c.mode != modeAssign) {
		consumerAssertf(false, "Subscribe after Assign")
	}
	c.mode = modeSubscribe
	c.topics = slices.Clone(topics)
	slices.Sort(c.topics)
	c.topics = slices.Compact(c.topics)
	for _, t := range c.topics {
		c.meta.Want(t)
	}
	c.emit(ConsumerEvent{Kind: EventSubscribe, Topics: slices.Clone(c.topics)})
	if c.memberID != "" || c.state != unjoined {
		c.rejoin = true
	}
	// Like Kafka's subscribe, nothing happens until the next poll.
}

// Assign takes partitions by hand (no group management). Positions come from the
// group's committed offsets if there is a group id, else from auto.offset.reset.
func (c *Consumer) Assign(tps []proto.TopicPartition) {
	if !(c.mode != modeSubscribe) {
		consumerAssertf(false, "Assign after Subscribe")
	}
	c.mode = modeAssign
	c.setAssignment(tps)
	for _, tp := range tps {
		c.meta.Want(tp.Topic)
	}
	c.emit(ConsumerEvent{Kind: EventAssign, Partitions: c.Assignment()})
	// Like Kafka's assign, nothing happens until the next poll.
}

// SeekToBeginning moves the positions of tps to their log start (ListOffsets
// earliest).
func (c *Consumer) SeekToBeginning(tps []proto.TopicPartition) {
	for _, tp := range tps {
		if p := c.parts[tp]; p != nil {
			c.dropBuffered(p)
			p.state, p.failErr = partNeedsReset, "earliest"
		}
	}
}

// Seek moves the position of tp to offset.
func (c *Consumer) Seek(tp proto.TopicPartition, offset int64) {
	if p := c.parts[tp]; p != nil {
		c.dropBuffered(p)
		p.position, p.positionEpoch, p.state, p.failErr = offset, -1, partFetchable, ""
	}
	c.step()
}

// setAssignment replaces the assigned partitions, keeping the state of those kept.
func (c *Consumer) setAssignment(tps []proto.TopicPartition) {
	keep := map[proto.TopicPartition]*partition{}
	for _, tp := range tps {
		if p := c.parts[tp]; p != nil {
			keep[tp] = p
			continue
		}
		st := partNeedsCommitted
		if c.cfg.GroupID == "" {
			st = partNeedsReset
		}
		keep[tp] = &partition{tp: tp, state: st, position: -1, positionEpoch: -1, leaderEpoch: -1, highWatermark: -1, logStart: -1}
	}
	for tp, p := range c.parts {
		if keep[tp] == nil {
			c.dropBuffered(p)
			p.state = partFailed // stale responses for it are ignored
			p.assigned = false
		}
	}
	c.parts = keep
	c.order = c.order[:0]
	for _, p := range keep {
		p.assigned = true
		c.order = append(c.order, p)
	}
	slices.SortFunc(c.order, func(a, b *partition) int { return a.tp.Compare(b.tp) })
}

func (c *Consumer) dropBuffered(p *partition) {
	if !p.buffered {
		return
	}
	for i, cf := range c.buffer {
		if cf.p == p {
			c.buffer = slices.Delete(c.buffer, i, i+1)
			c.releaseCompletedFetch(cf)
			break
		}
	}
	p.buffered = false
}

// maxFree bounds the requests and completed fetches a consumer keeps for reuse.
const maxFree = 8

// newCompletedFetch returns a completedFetch of p's batches: one released earlier, or
// a new one.
func (c *Consumer) newCompletedFetch(p *partition, batches []*proto.RecordBatch) *completedFetch {
	if n := len(c.freeFetches); n > 0 {
		cf := c.freeFetches[n-1]
		c.freeFetches[n-1] = nil
		c.freeFetches = c.freeFetches[:n-1]
		cf.p, cf.batches = p, batches
		return cf
	}
	return &completedFetch{p: p, batches: batches}
}

// releaseCompletedFetch keeps cf, just taken out of the buffer, for reuse: nothing
// else refers to it.
func (c *Consumer) releaseCompletedFetch(cf *completedFetch) {
	*cf = completedFetch{}
	if len(c.freeFetches) < maxFree {
		c.freeFetches = append(c.freeFetches, cf)
	}
}

// Poll returns buffered records at once, or waits up to timeout for some; done gets
// the result. Only one poll may be outstanding.
func (c *Consumer) Poll(timeout time.Duration, done func(PollResult)) {
	if !(c.poll == nil) {
		consumerAssertf(false, "Poll while a poll is outstanding")
	}
	if !(!c.closed) {
		consumerAssertf(false, "Poll after Close")
	}
	now := c.env.Now()
	c.pollSeq++
	c.stats.Polls++
	c.stats.MaxPollGap = max(c.stats.MaxPollGap, now-c.lastPoll)
	c.lastPoll = now
	c.emit(ConsumerEvent{Kind: EventPollInvoke, ID: c.pollSeq})
	pp := c.sparePoll
	c.sparePoll = nil
	if pp == nil {
		pp = &pendingPoll{}
	}
	*pp = pendingPoll{id: c.pollSeq, done: done}
	c.poll = pp
	c.maybeAutoCommit()
	c.step()
	if c.poll != nil && !c.tryCompletePoll() {
		c.poll.timer = c.env.After(timeout, node.Timer{Kind: timerConsumerPollTimeout, Arg: c.pollSeq})
	}
}

// tryCompletePoll completes the outstanding poll if there are records or an error.
func (c *Consumer) tryCompletePoll() bool {
	if c.poll == nil {
		return false
	}
	if err := c.takePollError(); err != "" {
		c.finishPoll(PollResult{Err: err})
		return true
	}
	recs := c.drain()
	if len(recs) == 0 {
		return false
	}
	c.finishPoll(PollResult{Records: recs})
	return true
}

func (c *Consumer) takePollError() string {
	if c.fatal != "" {
		return c.fatal
	}
	err := c.pollErr
	c.pollErr = ""
	return err
}

func (c *Consumer) finishPoll(r PollResult) {
	pp := c.poll
	c.poll = nil
	c.env.Cancel(pp.timer)
	c.lastPoll = c.env.Now()
	c.stats.Records += int64(len(r.Records))
	c.emit(ConsumerEvent{Kind: EventPoll, ID: pp.id, Records: r.Records, Err: r.Err})
	c.step() // refill what was drained
	// pp is finished (c.poll no longer holds it, and its timer is cancelled or fired):
	// the next Poll, maybe from done, reuses it.
	done := pp.done
	*pp = pendingPoll{}
	c.sparePoll = pp
	if done != nil {
		done(r)
	}
}

// drain takes up to max.poll.records from the buffer, in fetch order, advancing the
// positions and charging the CPU.
func (c *Consumer) drain() []ConsumerRecord {
	if len(c.buffer) == 0 {
		return nil
	}
	avail := 0
	for _, cf := range c.buffer {
		for _, b := range cf.batches[cf.batch:] {
			avail += b.Count()
		}
		if avail >= c.cfg.MaxPollRecords {
			break
		}
	}
	out := c.takeRecords(min(avail, c.cfg.MaxPollRecords))
	cpu := c.cfg.CPU
	for len(c.buffer) > 0 && len(out) < c.cfg.MaxPollRecords {
		cf := c.buffer[0]
		p := cf.p
		for cf.batch < len(cf.batches) && len(out) < c.cfg.MaxPollRecords {
			b := cf.batches[cf.batch]
			if !cf.charged {
				cf.charged = true
				if c.cfg.CheckCRCs && !b.Valid() {
					// Kafka raises a KafkaException for the corrupt batch; the
					// position stays, and the partition is fetched again.
					c.pollErr = proto.CORRUPT_MESSAGE.String()
					cf.batch = len(cf.batches)
					break
				}
				if b.Compression != proto.CompressionNone {
					if r := cpu.DecompressBytesPerSecond[b.Compression]; r > 0 {
						d := time.Duration(float64(b.UncompressedBytes()) / r * 1e9)
						c.stats.DecompressTime += d
						c.env.Charge(d)
					}
				}
			}
			// The batch's records from the position on (offsets are contiguous from
			// BaseOffset), as many as the poll has room for.
			from := 0
			if d := p.position - b.BaseOffset; d > 0 {
				from = int(min(d, int64(b.Count())))
			}
			k := min(b.Count()-from, c.cfg.MaxPollRecords-len(out))
			if k > 0 {
				n := len(out)
				out = out[:n+k]
				var bytes int64
				for i, r := range b.Records() {
					if i < from {
						continue
					}
					if i == from+k {
						break
					}
					out[n+i-from] = ConsumerRecord{TP: p.tp, Offset: b.BaseOffset + int64(i), LeaderEpoch: b.PartitionLeaderEpoch,
						Value: r.Value, Key: r.Key, Size: r.Size, Timestamp: r.Timestamp}
					bytes += int64(r.Size)
				}
				c.stats.Bytes += bytes
				p.position, p.positionEpoch = b.BaseOffset+int64(from+k), b.PartitionLeaderEpoch
			}
			if p.position > b.LastOffset() {
				cf.batch++
				cf.charged = false
			}
		}
		if cf.batch >= len(cf.batches) {
			// Shift rather than reslice, so that the buffer keeps its capacity.
			n := copy(c.buffer, c.buffer[1:])
			c.buffer[n] = nil
			c.buffer = c.buffer[:n]
			p.buffered = false
			c.releaseCompletedFetch(cf)
		}
		if c.pollErr != "" {
			break
		}
	}
	if n := len(out); n > 0 {
		d := time.Duration(n) * cpu.PerRecord
		c.stats.DeserialTime += d
		c.env.Charge(d)
	}
	return out
}

// takeRecords returns an empty slice with room for n records for a poll: the spare one
// an App handed back if it is big enough, else a new one, at least twice the spare's
// size (up to max.poll.records) so that polls growing a few records at a time do not
// allocate each time.
func (c *Consumer) takeRecords(n int) []ConsumerRecord {
	if n > 0 && cap(c.spareRecords) >= n {
		out := c.spareRecords[:0]
		c.spareRecords = nil
		return out
	}
	return make([]ConsumerRecord, 0, max(n, min(2*cap(c.spareRecords), c.cfg.MaxPollRecords)))
}

// reuseRecords takes back a poll's slice that its App has finished with (the App
// is its only holder by then), keeping the bigger of it and the current spare.
func (c *Consumer) reuseRecords(recs []ConsumerRecord) {
	if cap(recs) > cap(c.spareRecords) {
		c.spareRecords = recs[:0]
	}
}

// Commit commits offsets (nil: the current positions of every assigned partition)
// and calls done with "" or the Kafka error name. Retriable coordinator errors are
// retried until default.api.timeout.ms, as commitSync does.
func (c *Consumer) Commit(offsets []proto.OffsetCommitPartition, done func(err string)) {
	if offsets != nil {
		// The commit owns its offsets (see startCommit): the caller keeps its slice.
		offsets = slices.Clone(offsets)
	}
	c.startCommit(offsets, false, done)
	c.step()
}

// Positions are the committable positions: every assigned partition with a known
// position, sorted.
func (c *Consumer) Positions() []proto.OffsetCommitPartition {
	return c.appendPositions(nil)
}

// appendPositions appends the committable positions to out, which it returns; nil if
// there are none and out is nil.
func (c *Consumer) appendPositions(out []proto.OffsetCommitPartition) []proto.OffsetCommitPartition {
	n := 0
	for _, p := range c.order {
		if p.state == partFetchable || p.state == partNeedsValidation {
			n++
		}
	}
	if n == 0 {
		return out
	}
	out = slices.Grow(out, n)
	for _, p := range c.order {
		if p.state == partFetchable || p.state == partNeedsValidation {
			out = append(out, proto.OffsetCommitPartition{TopicPartition: p.tp, CommittedOffset: p.position, CommittedLeaderEpoch: p.positionEpoch})
		}
	}
	return out
}

// startCommit starts a commit of offsets (nil: the current positions). The commit owns
// offsets and never changes them: its events and requests share the slice.
func (c *Consumer) startCommit(offsets []proto.OffsetCommitPartition, auto bool, done func(string)) int64 {
	op := &commitOp{}
	if offsets == nil {
		if offsets = c.appendPositions(op.positions[:0]); len(offsets) == 0 {
			offsets = nil // as Positions says none
		}
	}
	c.commitSeq++
	op.id, op.offsets, op.auto, op.done, op.deadline = c.commitSeq, offsets, auto, done, c.env.Now()+c.cfg.DefaultAPITimeout
	c.stats.Commits++
	c.emit(ConsumerEvent{Kind: EventCommitInvoke, ID: op.id, Offsets: offsets, Auto: auto})
	switch {
	case c.cfg.GroupID == "":
		c.finishCommit(op, proto.INVALID_GROUP_ID.String())
	case len(offsets) == 0:
		c.finishCommit(op, "")
	case c.mode == modeSubscribe && c.generation < 0:
		// Kafka's CommitFailedException: not a member of an active group.
		err := proto.UNKNOWN_MEMBER_ID.String()
		if c.state != unjoined {
			err = proto.REBALANCE_IN_PROGRESS.String()
		}
		c.finishCommit(op, err)
	default:
		c.commits = append(c.commits, op)
		op.timer, op.timed = c.env.After(c.cfg.DefaultAPITimeout, node.Timer{Kind: timerConsumerCommitTimeout, Arg: op.id}), true
	}
	return op.id
}

func (c *Consumer) finishCommit(op *commitOp, err string) {
	if err != "" {
		c.stats.CommitsFailed++
	}
	for i, o := range c.commits {
		if o == op {
			c.commits = slices.Delete(c.commits, i, i+1)
			break
		}
	}
	if op.timed {
		op.timed = false
		c.env.Cancel(op.timer)
	}
	c.emit(ConsumerEvent{Kind: EventCommit, ID: op.id, Offsets: op.offsets, Auto: op.auto, Err: err})
	if op.done != nil {
		op.done(err)
	}
}

// maybeAutoCommit commits, asynchronously, what earlier polls returned once
// auto.commit.interval.ms has passed.
func (c *Consumer) maybeAutoCommit() {
	if !c.cfg.EnableAutoCommit || c.cfg.GroupID == "" {
		return
	}
	now := c.env.Now()
	if c.nextAutoCommit == 0 {
		c.nextAutoCommit = now + c.cfg.AutoCommitInterval
		return
	}
	if now < c.nextAutoCommit {
		return
	}
	c.nextAutoCommit = now + c.cfg.AutoCommitInterval
	if c.mode == modeSubscribe && c.state != stable {
		return
	}
	pos := c.Positions()
	if len(pos) == 0 || slices.Equal(pos, c.lastAuto) {
		return
	}
	c.lastAuto = pos
	c.startCommit(pos, true, nil)
}

// Close commits (with auto-commit) and leaves the group; done is called when the
// consumer is gone.
func (c *Consumer) Close(done func()) {
	if c.closed {
		return
	}
	finish := func(string) {
		c.leaveGroup(false)
		c.closed = true
		if c.poll != nil {
			c.finishPoll(PollResult{})
		}
		if done != nil {
			done()
		}
	}
	if c.cfg.EnableAutoCommit && c.cfg.GroupID != "" && (c.mode != modeSubscribe || c.state == stable) && len(c.Positions()) > 0 {
		c.startCommit(nil, true, finish)
		c.step()
		return
	}
	finish("")
}

func (c *Consumer) nextCorr() int64 {
	c.corr++
	return c.corr
}

func (c *Consumer) owns(corr int64) bool { return corr > c.corrBase && corr <= c.corrBase+1<<34 }

// send issues a request and arms its timeout.
func (c *Consumer) send(to node.ID, kind requestKind, m node.Message, corr int64, timeout time.Duration) *request {
	return c.sendWith(c.newRequest(), to, kind, m, corr, timeout)
}

// sendWith is send with r, from newRequest, as the request's bookkeeping.
func (c *Consumer) sendWith(r *request, to node.ID, kind requestKind, m node.Message, corr int64, timeout time.Duration) *request {
	r.kind, r.corr, r.to = kind, corr, to
	r.timer = c.env.After(timeout, node.Timer{Kind: timerConsumerRequestTimeout, Arg: corr})
	c.inflight[corr] = r
	c.env.Charge(c.cfg.CPU.PerRequest)
	c.env.Send(to, m)
	return r
}

// newRequest returns an empty request, one released earlier if any; its parts and
// offsets keep their capacity.
func (c *Consumer) newRequest() *request {
	if n := len(c.freeRequests); n > 0 {
		r := c.freeRequests[n-1]
		c.freeRequests[n-1] = nil
		c.freeRequests = c.freeRequests[:n-1]
		return r
	}
	return &request{}
}

// releaseRequest keeps r, out of c.inflight and handled (answered or failed), for
// reuse. Nothing refers to it by then: the handlers keep what they need of it (the
// partitions, the commit), never r itself.
func (c *Consumer) releaseRequest(r *request) {
	if len(c.freeRequests) >= maxFree {
		return
	}
	clear(r.parts)
	*r = request{parts: r.parts[:0], offsets: r.offsets[:0]}
	c.freeRequests = append(c.freeRequests, r)
}

// wake arms the retry timer for t unless an earlier one is set.
func (c *Consumer) wake(t time.Duration) {
	now := c.env.Now()
	if t <= now {
		t = now + time.Microsecond
	}
	if c.wakeAt != 0 && c.wakeAt <= t && c.wakeAt > now {
		return
	}
	c.wakeAt = t
	c.env.After(t-now, node.Timer{Kind: timerConsumerWake})
}

// Handle consumes the consumer's events: its responses, its timers, and (without
// consuming them) disconnects.
func (c *Consumer) Handle(ev node.Event) bool {
	if c.meta.Handle(ev) {
		return true
	}
	switch ev.Kind {
	case node.Recv:
		corr, ok := responseCorrelation(ev.Msg)
		if !ok || !c.owns(corr) {
			return false
		}
		fm, _ := ev.Msg.(*proto.FetchResponse)
		r := c.inflight[corr]
		if r == nil {
			if fm != nil {
				c.reuseFetchMemory(ev.From, fm)
			}
			return true // timed out or abandoned
		}
		delete(c.inflight, corr)
		c.env.Cancel(r.timer)
		c.env.Charge(c.cfg.CPU.PerRequest)
		if c.closed {
			if r.kind == reqFetch {
				c.fetchTo.del(r.to)
			}
			c.releaseRequest(r)
		} else {
			c.handleResponse(r, ev.Msg)
			c.releaseRequest(r)
		}
		if fm != nil {
			c.reuseFetchMemory(ev.From, fm)
		}
		if !c.closed {
			c.step()
		}
		c.checkInvariants()
		return true
	case node.TimerFired:
		ok := c.timer(ev.Timer)
		if ok {
			c.checkInvariants()
		}
		return ok
	case node.Disconnected:
		c.disconnected(ev.From)
		c.checkInvariants()
	}
	return false
}

func responseCorrelation(m node.Message) (int64, bool) {
	switch m := m.(type) {
	case *proto.FetchResponse:
		return m.Correlation, true
	case *proto.ListOffsetsResponse:
		return m.Correlation, true
	case *proto.OffsetForLeaderEpochResponse:
		return m.Correlation, true
	case *proto.FindCoordinatorResponse:
		return m.Correlation, true
	case *proto.JoinGroupResponse:
		return m.Correlation, true
	case *proto.SyncGroupResponse:
		return m.Correlation, true
	case *proto.HeartbeatResponse:
		return m.Correlation, true
	case *proto.LeaveGroupResponse:
		return m.Correlation, true
	case *proto.OffsetCommitResponse:
		return m.Correlation, true
	case *proto.OffsetFetchResponse:
		return m.Correlation, true
	}
	return 0, false
}

func (c *Consumer) timer(t node.Timer) bool {
	switch t.Kind {
	case timerConsumerHeartbeat:
		c.hbTimerSet = false
		c.heartbeatTick()
	case timerConsumerRequestTimeout:
		if r := c.inflight[t.Arg]; r != nil {
			delete(c.inflight, t.Arg)
			c.requestFailed(r, proto.REQUEST_TIMED_OUT)
			c.releaseRequest(r)
		}
	case timerConsumerWake:
		if c.wakeAt <= c.env.Now() {
			c.wakeAt = 0
		}
	case timerConsumerPollTimeout:
		if c.poll != nil && c.poll.id == t.Arg {
			c.finishPoll(PollResult{})
			return true
		}
	case timerConsumerCommitTimeout:
		for _, op := range c.commits {
			if op.id == t.Arg {
				op.timed = false // fired
				c.finishCommit(op, proto.REQUEST_TIMED_OUT.String())
				break
			}
		}
	default:
		return false
	}
	if !c.closed {
		c.step()
	}
	return true
}

// disconnected fails the requests in flight to a node whose connection dropped.
func (c *Consumer) disconnected(from node.ID) {
	lost := c.failInflight(func(r *request) bool { return r.to == from }, proto.NETWORK_EXCEPTION)
	if !c.closed && lost > 0 {
		c.step()
	}
}

func (c *Consumer) metadataUpdated() {
	for _, p := range c.order {
		_, epoch, ok := c.meta.Leader(p.tp)
		if !ok || epoch <= p.leaderEpoch {
			continue
		}
		// A new leader epoch: validate the position against the new leader's log
		// (KIP-320) before fetching again.
		if c.cfg.TruncationDetection && p.state == partFetchable && p.positionEpoch >= 0 && p.leaderEpoch >= 0 {
			p.state = partNeedsValidation
			c.dropBuffered(p)
		}
		p.leaderEpoch = epoch
	}
	if c.pendingSync != nil {
		resp := c.pendingSync
		c.pendingSync = nil
		c.syncAsLeader(resp)
	}
	if !c.closed {
		c.step()
	}
}

// step sends whatever the consumer's state calls for.
func (c *Consumer) step() {
	if c.closed {
		return
	}
	if c.cfg.GroupID != "" && c.needCoordinator() {
		c.ensureCoordinator()
	}
	if c.mode == modeSubscribe {
		c.stepGroup()
	}
	c.stepCommits()
	c.stepPositions()
	c.stepFetches()
	c.tryCompletePoll()
}

// needCoordinator reports whether anything waits on the group coordinator.
func (c *Consumer) needCoordinator() bool {
	if c.mode == modeSubscribe || len(c.commits) > 0 {
		return true
	}
	for _, p := range c.order {
		if p.state == partNeedsCommitted {
			return true
		}
	}
	return false
}

func (c *Consumer) resetLog(p *partition, to int64, epoch int32, reason string) {
	from := p.position
	p.position, p.positionEpoch, p.state, p.failErr = to, epoch, partFetchable, ""
	c.stats.Resets++
	c.emit(ConsumerEvent{Kind: EventReset, TP: p.tp, From: from, To: to, Reason: reason})
}

// consumerAssertf panics with context when an internal invariant breaks.
func consumerAssertf(cond bool, format string, args ...any) {
	if !cond {
		panic(fmt.Sprintf("client: consumer invariant violated: "+format, args...))
	}
}

// checkInvariants verifies the consumer's bookkeeping after each event it handled.
// It walks the assigned partitions without lookups by name: setAssignment, the only
// writer of c.parts, builds c.order from it and keeps the assigned marks.
func (c *Consumer) checkInvariants() {
	if !(len(c.order) == len(c.parts)) {
		consumerAssertf(false, "%d partitions in order, %d assigned", len(c.order), len(c.parts))
	}
	buffered := 0
	for _, p := range c.order {
		if !p.assigned {
			consumerAssertf(false, "%s: in the assignment but not marked assigned", p.tp)
		}
		if !(p.state != partFetchable || p.position >= 0) {
			consumerAssertf(false, "%s: fetchable at position %d", p.tp, p.position)
		}
		if p.buffered {
			buffered++
		}
	}
	for _, cf := range c.buffer {
		if !(cf.p.buffered && cf.p.assigned) {
			consumerAssertf(false, "%s: buffered data of a partition not assigned or not marked", cf.p.tp)
		}
	}
	if !(buffered == len(c.buffer)) {
		consumerAssertf(false, "%d partitions marked buffered, %d completed fetches", buffered, len(c.buffer))
	}
	if !(c.mode == modeSubscribe || c.state == unjoined) {
		consumerAssertf(false, "group state %d outside subscribe mode", c.state)
	}
	for _, f := range c.fetchTo {
		r := c.inflight[f.corr]
		if !(r != nil && r.kind == reqFetch && r.to == f.to) {
			consumerAssertf(false, "fetch to %d (corr %d) not in flight", f.to, f.corr)
		}
	}
}

// failInflight fails with err, in correlation order, the requests in flight that lost
// selects, and returns how many there were.
func (c *Consumer) failInflight(lost func(*request) bool, err proto.ErrorCode) int {
	var corrs []int64
	for corr, r := range c.inflight {
		if lost(r) {
			corrs = append(corrs, corr)
		}
	}
	slices.Sort(corrs)
	for _, corr := range corrs {
		r := c.inflight[corr]
		delete(c.inflight, corr)
		c.env.Cancel(r.timer)
		c.requestFailed(r, err)
		c.releaseRequest(r)
	}
	return len(corrs)
}

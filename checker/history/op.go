package history

import "fmt"

// Type is an operation's type: invoke, one of the completions ok, fail and info, or a
// harness event.
type Type uint8

// Operation types, as in Jepsen: Fail means the operation definitely did not take
// effect; Info means the outcome is unknown.
const (
	Invoke Type = iota + 1
	OK
	Fail
	Info
	Event
)

var typeNames = [...]string{Invoke: "invoke", OK: "ok", Fail: "fail", Info: "info", Event: "event"}

// String returns the type's name in the history format.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", t)
}

// IsCompletion reports whether t completes a client operation (ok, fail or info).
func (t Type) IsCompletion() bool { return t == OK || t == Fail || t == Info }

// Operation and event names (the "f" field).
const (
	FSend      = "send"      // produce records: [["send", key, value], ...]
	FPoll      = "poll"      // one consumer poll: [["poll"]] / [["poll", {key: [[offset, value], ...]}]]
	FTxn       = "txn"       // a transaction mixing send and poll micro-operations
	FAssign    = "assign"    // assign exact partitions (keys)
	FSubscribe = "subscribe" // subscribe to topics through a consumer group
	FCommit    = "commit"    // OffsetCommit: {key: next offset to read}
	FCrash     = "crash"     // the client is torn down; completes info
	FRebalance = "rebalance" // event: a consumer's assignment changed
	FLogStart  = "log-start" // event: retention moved log start offsets
	FTruncate  = "truncate"  // event: a replica truncated its log
	FLeader    = "leader"    // event: a new leader took over a partition
	FFault     = "fault"     // event: a fault began or ended
)

// ClientFs lists the client operation names the format defines.
var ClientFs = []string{FSend, FPoll, FTxn, FAssign, FSubscribe, FCommit, FCrash}

// EventFs lists the harness event names the format defines.
var EventFs = []string{FRebalance, FLogStart, FTruncate, FLeader, FFault}

// internF returns the canonical constant for a known name, so that ops share one copy.
func internF(b []byte) (string, bool) {
	switch string(b) {
	case FSend:
		return FSend, true
	case FPoll:
		return FPoll, true
	case FTxn:
		return FTxn, true
	case FAssign:
		return FAssign, true
	case FSubscribe:
		return FSubscribe, true
	case FCommit:
		return FCommit, true
	case FCrash:
		return FCrash, true
	case FRebalance:
		return FRebalance, true
	case FLogStart:
		return FLogStart, true
	case FTruncate:
		return FTruncate, true
	case FLeader:
		return FLeader, true
	case FFault:
		return FFault, true
	}
	return "", false
}

func isClientF(f string) bool {
	switch f {
	case FSend, FPoll, FTxn, FAssign, FSubscribe, FCommit, FCrash:
		return true
	}
	return false
}

func isEventF(f string) bool {
	switch f {
	case FRebalance, FLogStart, FTruncate, FLeader, FFault:
		return true
	}
	return false
}

// NoOffset marks an offset that is unknown (null in the history), e.g. the offset of an
// acks=0 send or of a send whose outcome is unknown.
const NoOffset int64 = -1

// NoProcess is the process of harness events.
const NoProcess int64 = -1

// Op is one line of a history. Which of the value fields is used depends on F:
//
//	send, poll, txn       Mops
//	assign, subscribe     Keys (subscribe: topics), SeekToBeginning
//	commit, log-start     Offsets
//	rebalance             Rebalance
//	truncate, leader      Replicas
//	fault                 Fault
//	crash                 none (null)
type Op struct {
	Index   int64 // position in the history: 0, 1, 2, ...
	Time    int64 // virtual nanoseconds since the run began
	Process int64 // logical client; NoProcess for events
	Type    Type  // invoke, ok, fail, info or event
	// SeekToBeginning (assign) rewinds every assigned partition.
	SeekToBeginning bool
	F               string // operation or event name
	Error           string // Kafka error name of a fail or info completion
	Group           string // consumer group of poll, commit and subscribe

	Mops      []Mop           // send, poll, txn
	Keys      []string        // assign (keys), subscribe (topics)
	Offsets   []KeyOffset     // commit (next offset to read), log-start (new log start offset)
	Replicas  []ReplicaChange // truncate, leader
	Rebalance *Rebalance      // rebalance
	Fault     *Fault          // fault
}

// MopKind tells a send micro-operation from a poll.
type MopKind uint8

// Micro-operation kinds.
const (
	MopSend MopKind = iota + 1
	MopPoll
)

// Mop is one micro-operation of a send, poll or txn: ["send", key, value],
// ["send", key, [offset, value]], ["poll"] or ["poll", {key: [[offset, value], ...]}].
type Mop struct {
	Kind   MopKind      // MopSend or MopPoll
	pair   bool         // send was written as [offset, value]
	Key    string       // send: the partition written
	Value  Value        // send: the record value
	Offset int64        // send: the offset the record got, or NoOffset
	Reads  []KeyRecords // poll completion: records per key, keys in the order written
}

// Pair reports whether a send micro-operation carried an [offset, value] pair (all
// completions written by logsim do; Jepsen writes bare values in some info completions).
func (m *Mop) Pair() bool { return m.pair }

// SetPair marks a send micro-operation as carrying an [offset, value] pair.
func (m *Mop) SetPair(p bool) { m.pair = p }

// Send returns a send micro-operation of value v to key with an unknown offset, as in
// an invoke line.
func Send(key string, v Value) Mop { return Mop{Kind: MopSend, Key: key, Value: v, Offset: NoOffset} }

// SendAt returns a completed send micro-operation: v was appended to key at offset
// (NoOffset when unknown).
func SendAt(key string, offset int64, v Value) Mop {
	return Mop{Kind: MopSend, Key: key, Value: v, Offset: offset, pair: true}
}

// Poll returns a poll micro-operation; reads is nil in an invoke line.
func Poll(reads ...KeyRecords) Mop { return Mop{Kind: MopPoll, Reads: reads} }

// KeyRecords are the records one poll returned for one key, in the order returned.
type KeyRecords struct {
	Key     string   // the partition
	Records []Record // in the order returned
}

// Record is one record returned by a poll.
type Record struct {
	Offset int64 // NoOffset when the poll did not say
	Value  Value // the record value
}

// KeyOffset is an offset of one key: a committed offset or a log start offset.
type KeyOffset struct {
	Key    string // the partition
	Offset int64  // the offset
}

// ReplicaChange is one key's entry of a truncate or leader event.
type ReplicaChange struct {
	Key    string // the partition
	Node   int64  // broker id
	Offset int64  // truncate: the offset the replica truncated to; leader: NoOffset
	Epoch  int64  // leader epoch
}

// Rebalance is a consumer's new assignment.
type Rebalance struct {
	Group      string   // the consumer group
	Process    int64    // the consumer's process
	Generation int64    // the group generation
	Assigned   []string // the keys now assigned to it
}

// Fault is the start or end of an injected fault.
type Fault struct {
	Name   string // the fault, e.g. "partition-leader"
	Action string // "start" or "stop"
	Detail string // what it affects, for people
}

// Sends calls fn for each send micro-operation of op, in order.
func (op *Op) Sends(fn func(m *Mop)) {
	for i := range op.Mops {
		if op.Mops[i].Kind == MopSend {
			fn(&op.Mops[i])
		}
	}
}

// Reads calls fn for each record returned by op's polls, in order.
func (op *Op) Reads(fn func(key string, r Record)) {
	for i := range op.Mops {
		m := &op.Mops[i]
		if m.Kind != MopPoll {
			continue
		}
		for _, kr := range m.Reads {
			for _, r := range kr.Records {
				fn(kr.Key, r)
			}
		}
	}
}

// String renders op as its JSON line (without the newline).
func (op *Op) String() string { return string(AppendJSON(nil, op)) }

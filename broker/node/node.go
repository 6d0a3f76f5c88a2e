// Package node is the contract between a deterministic state machine (a broker, the
// controller, a client) and the host that runs it.
//
// A Machine reacts to one Event at a time and touches the world only through its Env:
// the clock, timers, the network, the disk, randomness, a logger and a CPU meter. The
// simulator (package sim) is one host; a live TCP runtime can be another, without any
// change to the Machine. Env methods never block and never call back into the Machine:
// every result (a message, a timer, a disk completion, a lost connection) arrives later
// as an Event passed to Handle.
package node

import (
	"errors"
	"math/rand/v2"
	"time"
)

// ID names a node: a broker, the controller or a client. Kafka's brokers are numbered by
// node.id; the host gives every other participant an ID from the same space.
type ID int32

// None is the ID of no node.
const None ID = -1

// Message is anything one node sends another over a connection.
type Message interface {
	// Kind is the message's name as a constant string, such as "ProduceRequest". Hosts
	// print it in traces and fold it into the run's fingerprint.
	Kind() string
	// Size is the number of bytes the message occupies on the wire. The host charges
	// network bandwidth by it.
	Size() int
}

// Timer says what a timer is for. The Machine picks the meaning of Kind and Arg (a
// partition index, a request's correlation id); the host hands the same value back in
// the TimerFired event. It is a small value so that setting a timer does not allocate.
type Timer struct {
	Kind int32
	Arg  int64
}

// TimerID identifies a pending timer so that it can be cancelled.
type TimerID uint64

// OpID identifies a disk operation; its completion carries the same OpID.
type OpID uint64

// EventKind says what happened to a Machine.
type EventKind uint8

// The kinds of Event a Machine handles.
const (
	// Recv: Msg arrived from From over their connection, in the order From sent it.
	Recv EventKind = iota + 1
	// TimerFired: the timer set with value Timer expired.
	TimerFired
	// DiskDone: the disk operation Op completed, with Err nil or one of the Disk errors.
	DiskDone
	// Disconnected: the connection to From was reset; messages in flight on it in
	// either direction were lost. The next Send to From opens a new connection.
	Disconnected
)

// String names the kind for traces.
func (k EventKind) String() string {
	switch k {
	case Recv:
		return "recv"
	case TimerFired:
		return "timer"
	case DiskDone:
		return "disk"
	case Disconnected:
		return "disconnect"
	}
	return "unknown"
}

// Event is one thing that happened to a Machine. Which fields are set depends on Kind.
type Event struct {
	Kind  EventKind
	From  ID      // Recv, Disconnected: the peer
	Msg   Message // Recv
	Timer Timer   // TimerFired
	Op    OpID    // DiskDone
	Err   error   // DiskDone: nil on success
}

// Machine is a deterministic, single-threaded state machine run by a host.
type Machine interface {
	// Start is called once when the node boots. restart is true when the node comes
	// back after a crash or power loss: its memory is gone and it must rebuild its
	// state from Env.Disk.
	Start(env Env, restart bool)
	// Handle reacts to one event. It must not keep ev.Msg's mutable parts beyond the
	// call unless the sender promises not to change them (messages are immutable once
	// sent).
	Handle(ev Event)
}

// Env is the only way a Machine touches the world.
type Env interface {
	// ID is this node's own ID.
	ID() ID
	// Now is the node's clock: time since the run began as this node sees it. A host
	// may skew it (offset and drift); the host's own clock stays exact.
	Now() time.Duration
	// After sets a timer that fires Event{Kind: TimerFired, Timer: t} after d.
	After(d time.Duration, t Timer) TimerID
	// Cancel stops a pending timer. Cancelling a fired or unknown timer does nothing.
	Cancel(id TimerID)
	// Send queues m for delivery to the node to. Delivery is in order per connection
	// but may be delayed, stalled, or lost with the connection (Disconnected).
	Send(to ID, m Message)
	// Disk is this node's local storage.
	Disk() Disk
	// Rand is this node's own seeded random stream. Never use the global one.
	Rand() *rand.Rand
	// Charge spends d of CPU time on the work done in the current handler. Effects
	// the handler produces after the charge (sends, disk operations) leave the node
	// only when the work has run on a free core, so load becomes queueing delay.
	Charge(d time.Duration)
	// Logf writes a line to the run's trace, stamped with virtual time and node.
	// Hosts discard it unless tracing is on; keep it off hot paths.
	Logf(format string, args ...any)
}

// Entry is one append to a file. The disk keeps a reference to Data rather than its
// bytes (see DESIGN.md, "Records and payloads"), so Data must never change after the
// Append. Size is the number of bytes the entry occupies; Sum is the checksum the writer
// computed over Data, which the reader recomputes to detect corruption. (Size is an
// int32, as Kafka's batch sizes are, because a disk holds an Entry per batch per
// replica for the whole run.)
type Entry struct {
	Data any
	Size int32
	Sum  uint32
}

// Disk is a node's storage: named files of entries. Appends and truncates land in the
// page cache at once (reads see them) and become durable only after a Sync completes. A
// process crash keeps the page cache; a power loss keeps only durable entries and may
// tear the last unsynced write.
type Disk interface {
	// Append adds e to the end of file, creating the file if needed. The completion
	// arrives as a DiskDone event for the returned OpID.
	Append(file string, e Entry) OpID
	// Sync makes everything appended to file so far durable, then completes.
	Sync(file string) OpID
	// Truncate cuts file down to its first n entries, then completes.
	Truncate(file string, n int) OpID
	// Delete removes file, then completes.
	Delete(file string) OpID
	// Read returns the entries of file from index from on, as the page cache holds
	// them now. Entries damaged on the medium come back with Size or Sum altered, for
	// the reader's checksum to catch. Reads are served from memory and are
	// synchronous; an injected I/O error returns ErrIO.
	Read(file string, from int) ([]Entry, error)
	// Len is the number of entries in file (0 if it does not exist).
	Len(file string) int
	// Files lists the files on this disk, sorted by name.
	Files() []string
}

// The errors a Disk reports.
var (
	ErrDiskFull = errors.New("disk full: no space left on device")
	ErrIO       = errors.New("input/output error")
	ErrNotFound = errors.New("no such file")
)

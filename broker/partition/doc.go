// Package partition models one replica of a Kafka partition as pure state: the log of
// record batches in segments, its log start and log end offsets, the high watermark,
// the leader-epoch cache used for truncation (KIP-101/KIP-279), the idempotent producer
// state that drops duplicate batches, and the leader's view of its followers (their log
// end offsets, when each last caught up, the ISR).
//
// Nothing here touches an Env. Methods take the current time as an argument and return
// what must happen on disk (which segment file to append to, which files to truncate or
// delete); the broker node performs those effects. This keeps the replication rules
// testable with plain tables, as etcd raft's core is.
//
// Offsets follow Kafka: the log end offset (LEO) is the offset the next record gets; the
// high watermark (HW) is the first offset not known to be replicated to the whole ISR;
// consumers read below the HW; the log start offset is the first offset still retained.
package partition

import "fmt"

// failf panics with context: an internal invariant broke. Call sites test the
// condition first, so that the arguments are only boxed on failure.
func failf(format string, args ...any) {
	panic(fmt.Sprintf("%s: invariant violated: "+format, append([]any{"partition"}, args...)...))
}

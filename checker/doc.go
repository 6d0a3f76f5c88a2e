// Package checker judges a history of a Kafka-like system from the outside, the way
// Jepsen's Kafka checker (jepsen.tests.kafka) does, and adds what Jepsen's checker
// cannot see and a linearizability check of each partition with porcupine.
//
// Check takes a history (package checker/history; ReadFile reads JSON Lines or a
// Jepsen EDN history) and Options, and returns a Result that marshals to the result
// object of the history specification: validity, the anomaly types found, the ones
// that make the history invalid, every anomaly instance with Jepsen's field names,
// the linearizability verdict and statistics. WriteText explains the same result in
// sentences for people, the most damaging anomalies first.
//
//	ops, err := checker.ReadFile("history.jsonl")
//	...
//	res, err := checker.Check(ops, checker.DefaultOptions())
//	...
//	res.WriteText(os.Stdout, 10)
//
// # Streaming
//
// Check is a Builder fed from a slice. A Builder takes the history one operation at a
// time (Add copies what it keeps, so the caller may build every line in one reused Op)
// and keeps no operations, only compact tables in fixed chunks, with almost no
// pointers for the garbage collector to follow. While lines are added, each chunk of
// lines is a stream of varints, about 4 bytes a line with its type and name byte: the
// time as a difference from the previous line's, and an invoke's process or a
// completion's distance back to its invoke and where its records start (only
// completions hold records in the tables' streams; left out after a completion of one
// send, whose record tells its length). Records are varints of small differences (a
// logsim send about 4 bytes, its value id a difference from that of its key's first
// send in the chunk; none for a send invoke whose completion repeats its records, as
// logsim's do; a read 1 or 2 bytes plus a few per run of consecutive offsets of one
// key), and a value takes about 5 bytes, its flags and the slot that interns it, with
// keys and values interned (integer values through an array when they are small ids,
// as logsim's are; a slot holds the value's id and its key's in 32 bits while there
// are fewer than 256 keys); assign, subscribe and harness events, which are few, are
// kept whole. Result thaws the streams into columns of about 8 bytes a line that the
// analyses read at random, and finds each value's writer again from the sends kept. A
// logsim history takes about 21 bytes per record once added, and a check's peak heap
// is about 55 per record (BenchmarkBuilderLogsimShaped: tables-B/record, B/record).
// The analyses that walk the history in order and keep little per line run as lines
// are added, so that Result, which a run waits for, has less left to do: the
// per-process orders keep only the comparisons whose verdict needs the version order
// (two values at consecutive offsets are in order unless a value turns out to be at
// several offsets, in which case Result walks the history), realtime-send-order the
// pairs a later truncation may excuse, and the cycle search whether time alone
// proves the graph acyclic. Result then builds the version orders with the keys shared
// out between the cores, and runs the remaining analyses in parallel.
// CheckReader streams a JSON Lines file through a Builder the same way; so does
// CheckFile, except Jepsen's EDN histories, which are small and read whole.
//
//	b := checker.NewBuilder(checker.DefaultOptions())
//	for ... { if err := b.Add(&op); err != nil { ... } }
//	res, err := b.Result()
//
// # Jepsen's analyses
//
// inconsistent-offsets, duplicate, lost-write, unseen, G1a, precommitted-read,
// poll-skip, nonmonotonic-poll, int-poll-skip, int-nonmonotonic-poll, int-send-skip,
// int-nonmonotonic-send, nonmonotonic-send, and the cycles G0 and G1c with their
// -process and -realtime variants, with Jepsen's semantics: version orders per key
// from every poll and from the sends of writers known to have committed, dense
// indices, must-have-committed for unknown outcomes, validity as Jepsen decides it.
// Where this package differs, it says so:
//
//   - unseen is reported per key (count, values, time of the last acknowledgement)
//     rather than as one map.
//   - An assign with seek_to_beginning forgets the consumer's positions (a rewind was
//     asked for); a subscribe names topics, so it keeps the positions of keys whose
//     topic it names (or, as in Jepsen's histories, the keys themselves).
//   - Rebalance events suppress internal poll checks, as Jepsen's :rebalance-log does.
//   - poll-skip and nonmonotonic-poll of subscribed consumers are reported with
//     "excused": "subscribed" and do not make the history invalid; instances excused by
//     a truncate event between the two polls are marked "truncated".
//   - Records below a key's log start offset (log-start events) that nobody read are
//     expired-unconsumed, not lost-write or unseen; a poll that skipped only records
//     retention had deleted is not a poll-skip.
//   - Cycles: one cycle is reported per strongly connected component and class; when
//     no operation both sends and polls and no poll read from the future, time alone
//     proves the graph acyclic and it is not built.
//
// # This package's own anomaly types
//
// Documented on the constants that name them: TypeUnexpectedValue, TypeGroupLoss,
// TypeRealtimeSendOrder, TypeExpiredUnconsumed, TypeNonlinearizable.
//
// # Linearizability
//
// Each partition is checked with porcupine as one append-only log: a send appends each
// record at the offset it was told (appends must follow the partition's known
// offsets in order), a poll returns contiguous records of the log. Sends of unknown
// outcome are settled first from what polls later returned (or left out if never
// seen); polls that cannot fail are proven without the search. A timeout gives
// "unknown", never a pass. Partitions larger than Options.PorcupineMaxOps (porcupine's
// memory grows with the square of a partition's operations) are decided by a direct
// algorithm that is exact for this model: appends are pinned to their offsets' order,
// so placing each as early as allowed is optimal. Illegal partitions are reported as nonlinearizable
// anomalies and, with Options.OutDir, visualized with the run's faults annotated.
//
// The checker never imports the broker or the simulator.
package checker

// Package history defines logsim's history record, the JSON Lines format of
// /work/shared/spec/history.md (version 1), and a streaming Reader and Writer for it.
//
// A history is what the clients of a run did and saw, in the shape of Jepsen's Kafka
// workload (jepsen.tests.kafka): each client operation is an invoke line followed by one
// completion (ok, fail or info) on the same process; harness events (rebalance,
// log-start, truncate, leader, fault) record what the system was observed to do.
//
// The package is the lowest layer of the checker: it imports only the standard
// library, so that workloads can record histories and tools can read them without
// pulling in the analyses. Values are kept exactly as written (JSON integers stay
// integers, strings stay strings) so that a history read and written again is the same.
package history

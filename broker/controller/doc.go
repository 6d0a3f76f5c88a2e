// Package controller is the cluster's controller, modelled on Kafka's KRaft controller
// with a single voter: it registers brokers and keeps their sessions (heartbeats), fences
// brokers whose session expired or that restarted, creates topics and assigns replicas,
// elects partition leaders (from the ISR; from the eligible leader replicas of KIP-966
// when enabled; from any live replica when unclean.leader.election.enable is set),
// applies the leaders' AlterPartition requests, and pushes the resulting metadata to the
// brokers, each change numbered by a metadata offset.
//
// State holds the decisions as pure functions of (state, input, now); Controller is the
// thin node.Machine shell that persists every change to its own disk, fsyncs it, and
// only then answers and publishes (so a controller restart never reuses a leader epoch).
// A Raft quorum can replace the shell later: the State is the replicated state machine.
//
// While the controller is down nothing is elected, no ISR changes and no broker is
// fenced; brokers keep serving with the metadata they have (see broker/SKIPPED.md).
package controller

import "fmt"

// assertf panics with context when an internal invariant breaks.
func assertf(cond bool, format string, args ...any) {
	if !cond {
		panic(fmt.Sprintf("controller: invariant violated: "+format, args...))
	}
}

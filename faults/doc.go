// Package faults describes the faults a scenario injects and when: fault specifications
// (network partitions, clogs, added latency, connection resets, crashes and power loss,
// pauses, clock skew, disk faults, slow and stalled consumers, stopped clients), target
// selectors such as broker-2, controller or leader(orders/0), schedules (at/for, every,
// and a random nemesis drawing a mix of faults from the seed), and the expansion of a
// fault list into a sorted, deterministic timeline of start and stop actions.
//
// This package is pure: it never touches the simulator. Selectors are resolved when a
// fault fires, through the Cluster interface the runner implements; the runner applies
// each Action with a switch on its Kind.
package faults

// Package faults describes the faults a scenario injects and when: fault specifications
// (network partitions, clogs, added latency, connection resets, crashes and power loss,
// pauses, clock skew, disk faults, slow and stalled consumers, stopped clients), target
// selectors such as broker-2, controller or leader(orders/0), schedules (at/for, every,
// and a random nemesis drawing a mix of faults from the seed), and the expansion of a
// fault list into a sorted, deterministic timeline of start and stop actions.
//
// Specs, selectors and timelines are pure. Applier applies a timeline to a simulation:
// each Action at its time, selectors resolved when the fault fires through the Cluster
// interface the runner implements, every start and stop recorded through Hooks, and
// each stop undoing exactly what its start did.
package faults

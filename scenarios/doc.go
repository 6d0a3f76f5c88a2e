// Package scenarios is the scenario file format and its loader: the Go types of a
// scenario (cluster, topics, producers, consumers, faults, expectations, sweeps),
// hardware profiles, Kafka's defaults filled in explicitly, cross-field validation,
// `--set path=value` overrides, and marshalling of the fully resolved scenario back to
// YAML that loads to the same value.
//
// Files are decoded strictly from goccy/go-yaml's syntax tree, so every error names the
// file, line and column, shows the line with a caret, says what is accepted and, for an
// unknown key, suggests the nearest known one. Kafka's configuration keys are used
// verbatim (acks, linger.ms, min.insync.replicas ...), so a Kafka user can paste from
// their own configuration. README.md in this directory is the reference of every key,
// generated from the types (see Reference).
//
// The format is independent of the simulator's and the broker's own configuration
// structs: the runner maps a resolved Scenario onto them. Run is that runner: it builds
// the cluster on the simulator (the hardware profile as node hardware and CPU costs,
// the cluster and topic settings as broker and controller configuration, the clients
// of package workloads), then runs the phases (load with faults, heal, drain with the
// final reads), checks the history with package checker, judges liveness and the
// expectations, and writes the output folder through package reports.
package scenarios

// Package sim is logsim's deterministic simulation kernel: one virtual clock, one event
// queue, seeded random streams, and the network, disks and CPUs on which node.Machines
// (brokers, the controller, clients) run. The same seed and inputs give the same run,
// event for event, on any machine and with any GOMAXPROCS; Fingerprint is a running
// hash of everything dispatched that proves it.
//
// A two-node simulation:
//
//	s, err := sim.New(sim.Config{Seed: 1, Network: sim.DefaultNetworkConfig()})
//	b, _ := s.AddNode("b", sim.NodeConfig{}, func() node.Machine { return &ponger{} })
//	a, _ := s.AddNode("a", sim.NodeConfig{Cores: 2}, func() node.Machine { return &pinger{peer: b} })
//	err = s.Start()               // Start(env, false) on every node
//	err = s.Run(10 * time.Second) // dispatch events up to 10s of virtual time
//	fmt.Println(s.Machine(a).(*pinger).rounds, s.Fingerprint())
//
// See example_test.go for the complete program.
//
// # Time and the queue
//
// Time is a time.Duration since the run began. Events are ordered by (time, insertion
// sequence), so events of the same instant run in the order they were scheduled.
// Run(until), RunFor, Step, RunEvents, RunUntil and RunUntilQuiescent drive the loop;
// At schedules kernel callbacks (the fault schedule) and Post runs a function as a
// handler of a node (workloads calling into clients).
//
// # Random streams
//
// Every random draw comes from a named stream derived from (seed, name): "node/<name>"
// is a node's Env.Rand, "disk/<name>" its disk's faults and latencies, "network" the
// link latencies. Other packages take "faults" and "workload/<name>" through Stream.
// Adding a node or a workload does not change the draws of any other stream. Draws are
// the same on every platform; ExpFloat64 replaces rand.ExpFloat64, whose slow path
// goes through math.Exp and math.Log (assembly on amd64, CPU-dependent).
//
// # CPU
//
// A node has NodeConfig.Cores cores. A handler runs at the time its event is taken, on
// the lowest-numbered free core; Env.Charge(d) adds d of work, and everything the
// handler does after the charge (sends, disk operations, timers) takes effect only
// when the work done so far has run: sends leave, disk operations enter the device
// queue and timers start counting at now+charged. Env.Now also reports now+charged.
// The core stays busy until all the charged work is done; while every core is busy,
// the node's events wait in arrival order. Load thus becomes queueing latency.
// NodeStats.CPUBusy and CoreBusy give utilization.
//
// # Network
//
// Nodes (clients included) talk over connections. Each direction of a connection is a
// FIFO link: a message first waits for the sender's NIC (NodeConfig.NICBandwidth),
// then for the link's bandwidth queue, then takes a latency draw (Latency: constant,
// uniform, exponential with a floor, or FoundationDB's fast/slow mixture), then goes
// through the receiver's NIC, and is never delivered before the previous message of
// the link. SetLink overrides one link's latency and bandwidth. Faults:
//
//   - Partition(groups...): a symmetric cut. Open connections across it are reset at
//     once (in-flight messages lost, Disconnected at both ends: this compresses into
//     one instant the keepalives and request timeouts by which Kafka peers notice); a
//     Send across the cut is lost and answered with Disconnected after
//     NetworkConfig.ConnectTimeout. Heal(id) removes one partition, HealAll all.
//     Nodes in no group keep all their connections (a bridge); CutPairs cuts chosen
//     pairs only (a majorities ring).
//   - PartitionOneWay(from, to): TCP needs both directions, so each connection between
//     the sides stalls as a whole: messages wait and flow in order when it heals (or
//     the connection resets after NetworkConfig.StallTimeout).
//   - Clog(from, to) / Unclog: hold one direction's traffic and release it in order.
//   - AddLatency(from, to, d): extra latency on a link.
//   - ResetConnection(a, b): in-flight messages lost both ways, Disconnected at both.
//   - HealNetwork: ends all of the above at once (the heal phase of a run).
//
// A connection is open once a message has been sent on it since its last reset; only
// open connections produce Disconnected events.
//
// A process crash resets the node's connections and its peers get Disconnected after
// one latency (the kernel's FIN or RST); a Send to the node while it is down is
// refused: lost, and answered with Disconnected after a round trip. A power loss
// tells no one: peers' Sends are silently lost while the node is down (they notice by
// their own request timeouts), and after it restarts the first Send on an old
// connection is lost and answered with Disconnected. A paused node's messages wait
// for it. A Send to a node that has not started is lost.
//
// # Disk
//
// Files hold node.Entry values (a reference to immutable data, its size and checksum),
// not bytes. Append, Truncate and Delete change the page cache at once (Read sees them
// synchronously); the operation then enters the node's device queue (per-op latency
// plus size over bandwidth, or the fsync latency for Sync) and completes as a DiskDone
// event. A completed Sync makes the page cache as of the call durable; so does the
// kernel's own writeback of old dirty data (DiskProfile.Writeback). A process crash
// keeps the page cache (and issued operations still complete); a power loss keeps only
// durable entries, drops files whose creation was never synced, and with
// DiskProfile.TornWriteProbability keeps the first unsynced entry torn: Size cut to a
// 512-byte or 4 KiB boundary and Sum damaged. Faults: CorruptEntries and CorruptBytes
// (reads return the entries with Sum altered), SetDiskFull (ErrDiskFull), disk
// capacity, SetDiskErrorRate (ErrIO), SetDiskSlow (added latency).
//
// # Lifecycle and clocks
//
// Crash drops the Machine and everything in memory; Restart makes a new Machine with
// the node's factory and calls Start(env, true). Pause holds all of a node's events
// (timers, arrivals, disk completions) until Resume. SkewClock shifts and drifts what
// the node's Env.Now reports; timers still fire after their duration in kernel time.
//
// # Failures, trace and fingerprint
//
// A panic in a Machine or a callback ends the run: Run returns a *Failure with the
// seed, virtual time, node, event, panic value and stack, and Failure.Repro gives the
// reproduction command. With Config.Trace set, each dispatched event and kernel action
// is printed as one line "time node kind summary" (Env.Logf lines too). The
// fingerprint folds in, for every dispatched event, its time, node, kind, peer,
// message Kind and Size, timer value, op id and error, and every lifecycle change and
// fault; it does not depend on tracing.
package sim

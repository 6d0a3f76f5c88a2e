package scenarios

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"logsim/broker"
	"logsim/broker/client"
	"logsim/broker/controller"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/checker"
	"logsim/checker/history"
	"logsim/faults"
	"logsim/reports"
	"logsim/sim"
	"logsim/workloads"
)

// HistoryFile is the history's file name in a run's output folder.
const HistoryFile = "history.jsonl"

// ScenarioFile is the resolved scenario's file name in a run's output folder.
const ScenarioFile = "scenario.yaml"

// RunOptions say where a run writes and how it reports progress.
type RunOptions struct {
	// OutDir receives the resolved scenario, the history and the report files; empty
	// writes no file (the history is checked in memory).
	OutDir string
	// File and Sets are how the scenario was given, for the reproduction command.
	File string
	Sets []string
	// Trace, when set, receives the simulator's trace.
	Trace io.Writer
	// Progress, when set, is called about once per simulated second.
	Progress func(reports.Progress)
}

// Outcome is what a run showed.
type Outcome struct {
	Scenario *Scenario
	// Passed is whether every expectation held.
	Passed bool
	// Reasons lists each expectation that did not hold, one line each.
	Reasons []string
	// Check is the checker's verdict (nil when the simulation failed).
	Check *checker.Result
	// Findings are the run's own findings (liveness), one line each.
	Findings []string
	// Warnings point at what may make the run meaningless without failing it (a
	// consumer group that consumed nothing), one line each.
	Warnings []string
	// Metrics are the run's measurements.
	Metrics *reports.Metrics
	// Failure is set when a Machine or a callback panicked.
	Failure *sim.Failure
	// Fingerprint hashes every simulated event: equal for equal inputs.
	Fingerprint uint64
	// LoadStart is when the load phase began, after the cluster came up: the origin of
	// the scenario's fault times and of the metrics; history times count from 0.
	LoadStart time.Duration
	// SimTime is the simulated time the run took; Events the events dispatched.
	SimTime time.Duration
	Events  uint64
	// Records is the number of records the producers handed to the clients; Acked
	// those acknowledged.
	Records, Acked int64
	// Reproduce is the one-line command that reruns the scenario.
	Reproduce string
	// Files are the files written into OutDir.
	Files []string
}

// Reproduce is the command line that reruns a scenario file with a seed and overrides.
func Reproduce(file string, seed uint64, sets []string) string {
	if file == "" {
		file = "SCENARIO.yaml"
	}
	parts := []string{"logsim", "run", shellQuote(file), "--seed", strconv.FormatUint(seed, 10)}
	for _, s := range sets {
		if strings.HasPrefix(s, "seed=") {
			continue
		}
		parts = append(parts, "--set", shellQuote(s))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quiet drops consumption: the final reads are the checker's, not a consumer group's.
type quiet struct{ *metrics }

func (quiet) Consumed(time.Duration, string, time.Duration, int) {}

// runner holds one run's state.
type runner struct {
	s        *Scenario
	opts     RunOptions
	sim      *sim.Sim
	hist     *workloads.History
	check    *checker.Builder // judges the history as it is written
	rec      *reports.Recorder
	met      *metrics
	cl       *cluster
	brokers  []node.ID
	prodIDs  []node.ID
	prods    []*workloads.ProducerSpec
	consIDs  []node.ID
	cons     map[node.ID]*workloads.ConsumerSpec
	readerID node.ID
	t0       time.Duration
	stats    map[node.ID]client.ProducerStats
	statsOf  map[node.ID]*client.Producer
	reqs     map[node.ID][]int64
	reqsOf   map[node.ID]*broker.Broker
}

// Run runs a validated scenario through its phases (setup, load, heal, drain, check)
// and judges the outcome against its expectations. An error means the run could not
// be carried out (files); a simulation that failed is an Outcome with Failure set.
func Run(s *Scenario, opts RunOptions) (*Outcome, error) {
	out := &Outcome{Scenario: s, Reproduce: Reproduce(opts.File, s.Seed, opts.Sets)}
	// The history streams to history.jsonl and, line by line, into the checker's
	// Builder; without an output folder it is never encoded.
	var f *os.File
	var bw *bufio.Writer
	var w *history.Writer
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, err
		}
		resolved, err := s.Marshal()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(opts.OutDir, ScenarioFile), resolved, 0o644); err != nil {
			return nil, err
		}
		out.Files = append(out.Files, ScenarioFile, HistoryFile)
		if f, err = os.Create(filepath.Join(opts.OutDir, HistoryFile)); err != nil {
			return nil, err
		}
		bw = bufio.NewWriterSize(f, 1<<20)
		w = history.NewWriter(bw)
	}
	r := &runner{s: s, opts: opts, cons: map[node.ID]*workloads.ConsumerSpec{},
		stats: map[node.ID]client.ProducerStats{}, statsOf: map[node.ID]*client.Producer{},
		reqs: map[node.ID][]int64{}, reqsOf: map[node.ID]*broker.Broker{}}
	simErr := r.simulate(w, out)
	var err error
	var check *checker.Builder
	if r.hist != nil {
		// Close waits for the history's encoding and checking, which run beside the
		// simulation. After a failed simulation the history is cut short, and an
		// error of its consumers is that failure's echo: the failure is the report.
		err = r.hist.Close()
		if _, failed := simErr.(*sim.Failure); failed {
			err = nil
		} else if err != nil {
			err = fmt.Errorf("recording the run's history: %w", err)
		}
		check = r.check
	}
	// The cluster is no longer needed: let its memory go before the check. The
	// History, the client specs and the metrics hold the simulator's clock (and so
	// the whole simulation), so they go too; judge and warn need only the scenario.
	hasHist := r.hist != nil
	r = &runner{s: s}
	if err == nil && bw != nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, err
	}
	if simErr != nil {
		fail, ok := simErr.(*sim.Failure)
		if !ok {
			return nil, simErr
		}
		out.Failure = fail
		out.Reasons = append(out.Reasons, "the simulation failed: "+fail.Error())
	} else if hasHist {
		res, err := check.Result()
		if err != nil {
			return nil, fmt.Errorf("checking the run's history: %w", err)
		}
		out.Check = res
		r.judge(out)
		r.warn(out)
	}
	out.Passed = len(out.Reasons) == 0
	if opts.OutDir != "" {
		names, err := reports.WriteRun(opts.OutDir, out.Report())
		if err != nil {
			return nil, err
		}
		out.Files = append(out.Files, names...)
		slices.Sort(out.Files)
	}
	return out, nil
}

// simulate builds the cluster and runs the phases, recording into w.
func (r *runner) simulate(w *history.Writer, out *Outcome) (err error) {
	s := r.s
	h := &s.Hardware.Hardware
	r.sim, err = sim.New(sim.Config{Seed: s.Seed, Network: sim.NetworkConfig{Latency: simLatency(h.Network.Latency)}, Trace: r.opts.Trace})
	if err != nil {
		return err
	}
	r.hist = workloads.NewHistory(w, r.sim.Now)
	r.check = checker.NewBuilder(checker.Options{Allow: s.Expect.Allow})
	r.hist.Feed(r.check)
	r.hist.Background() // encoding and checking run on a second core
	r.rec = reports.NewRecorder(reports.Config{})
	defer func() {
		if r.sim == nil {
			return
		}
		out.Fingerprint, out.SimTime, out.Events, out.LoadStart = r.sim.Fingerprint(), r.sim.Now(), r.sim.Events(), r.t0
		if r.met != nil {
			if merr := r.met.stop(); err == nil {
				err = merr
			}
		}
		end := max(r.sim.Now()-r.t0, 0)
		out.Metrics = r.rec.Finish(end)
		for _, p := range r.prods {
			out.Records += p.Sent()
		}
		out.Acked = out.Metrics.Summary.Published
	}()
	if err := r.setup(); err != nil {
		return err
	}
	// Utilization is measured against each broker's hardware.
	hw := serverNode(h)
	for _, id := range r.brokers {
		r.rec.Broker(int32(id), reports.BrokerCapacity{Cores: hw.Cores, NICBytesPerSec: hw.NICBandwidth, DiskBytesPerSec: hw.Disk.Bandwidth})
	}
	r.met = &metrics{r: r.rec}
	r.met.background() // the latency histograms fill on a second core
	// Consumers start first and their groups form before the load begins, as
	// benchmark harnesses wait for their consumers.
	r.addClients()
	if err := r.waitForGroups(); err != nil {
		return err
	}
	r.t0 = r.sim.Now()
	r.met.t0 = r.t0
	r.startProducers()
	loadEnd := r.t0 + s.Duration
	healEnd := loadEnd + s.Phases.Heal
	drainEnd := healEnd + s.Phases.Drain

	applier := faults.NewApplier(r.sim, r.cl, r, r.sim.Stream("faults/targets"))
	applier.Schedule(s.FaultTimeline(r.sim.Stream("faults")), r.t0)
	r.sim.At(loadEnd, func() { r.heal(applier) })
	r.sampleAt(r.t0)

	// Load and heal.
	if err := r.runTo(healEnd, drainEnd, nil); err != nil {
		return err
	}
	// Drain: producers have stopped sending; wait for their records to complete, for at
	// most half the drain phase (sends may retry up to delivery.timeout.ms), so that the
	// final reads have time.
	if err := r.runTo(healEnd+s.Phases.Drain/2, drainEnd, r.producersIdle); err != nil {
		return err
	}
	// Final reads: every partition from the beginning.
	if err := r.sim.StartNode(r.readerID); err != nil {
		return err
	}
	if err := r.runTo(drainEnd, drainEnd, r.drained); err != nil {
		return err
	}
	if reader := r.reader(); reader == nil || !reader.CaughtUp() {
		var behind []string
		if reader != nil {
			for _, tp := range reader.Behind() {
				behind = append(behind, tp.String())
			}
		}
		if len(behind) == 0 {
			behind = []string{"every partition"}
		}
		out.Findings = append(out.Findings, fmt.Sprintf("liveness: %s not read to the high watermark by the drain deadline (%v after the load phase)",
			strings.Join(behind, ", "), s.Phases.Heal+s.Phases.Drain))
	}
	// Consumers leave: a final commit with auto-commit, and LeaveGroup.
	for _, id := range r.consIDs {
		if c, ok := r.sim.Machine(id).(*workloads.ConsumerHost); ok {
			_ = r.sim.Post(id, c.Stop)
		}
	}
	return r.sim.RunFor(time.Second)
}

// runTo runs until the deadline, or until done holds (checked once per simulated
// 100 ms), reporting progress.
func (r *runner) runTo(deadline, end time.Duration, done func() bool) error {
	const step = 100 * time.Millisecond
	next := r.sim.Now()
	for r.sim.Now() < deadline {
		if done != nil && done() {
			return nil
		}
		t := min(r.sim.Now()+step, deadline)
		if err := r.sim.Run(t); err != nil {
			return err
		}
		if r.opts.Progress != nil && r.sim.Now() >= next {
			if err := r.met.sync(); err != nil {
				return err
			}
			p := r.rec.Progress()
			p.Now, p.End = r.sim.Now()-r.t0, end-r.t0
			r.opts.Progress(p)
			next = r.sim.Now() + time.Second
		}
	}
	return nil
}

func (r *runner) producersIdle() bool {
	for _, id := range r.prodIDs {
		if p, ok := r.sim.Machine(id).(*workloads.ProducerHost); ok && !p.Idle() {
			return false
		}
	}
	return true
}

func (r *runner) reader() *workloads.ConsumerHost {
	c, _ := r.sim.Machine(r.readerID).(*workloads.ConsumerHost)
	return c
}

// drained: the final reader and every consumer have read up to the high watermark.
func (r *runner) drained() bool {
	if c := r.reader(); c == nil || !c.CaughtUp() {
		return false
	}
	for _, id := range r.consIDs {
		if c, ok := r.sim.Machine(id).(*workloads.ConsumerHost); ok && len(c.Consumer().Assignment()) > 0 && !c.CaughtUp() {
			return false
		}
	}
	return true
}

// heal ends the load phase: every fault stops, the network heals, every node runs.
func (r *runner) heal(a *faults.Applier) {
	a.StopAll()
	r.sim.HealNetwork()
	for _, id := range r.sim.NodeIDs() {
		if id == r.readerID {
			continue
		}
		up, paused := r.sim.State(id)
		if paused {
			_ = r.sim.Resume(id)
		}
		if b, ok := r.sim.Machine(id).(*broker.Broker); ok && b.Halted() {
			// A broker that stopped itself after a storage failure is a process that
			// exited: the operator restarts it once the disk is fixed.
			_ = r.sim.Crash(id)
			up = false
		}
		if !up {
			_ = r.sim.Restart(id)
		}
	}
}

// sampleAt records the brokers' counters, the consumers' lag and the producers'
// batches at t, and schedules the next sample one interval later.
func (r *runner) sampleAt(t time.Duration) {
	r.sim.At(t, func() {
		r.met.syncOrPanic() // the Recorder sees its calls in time order
		now := r.met.rel(r.sim.Now())
		for _, id := range r.brokers {
			st, err := r.sim.Stats(id)
			if err != nil {
				continue
			}
			r.rec.BrokerSample(now, int32(id), reports.BrokerCounters{CPUBusy: st.CPUBusy, NetInBytes: st.BytesReceived,
				NetOutBytes: st.BytesSent, DiskWriteBytes: st.DiskBytesWritten})
			r.sampleRequests(now, id)
		}
		for _, id := range r.consIDs {
			c, ok := r.sim.Machine(id).(*workloads.ConsumerHost)
			if !ok {
				continue
			}
			group := r.cons[id].MetricsGroup
			c.SampleLag(func(tp proto.TopicPartition, lag int64) { r.rec.Lag(now, group, tp.Topic, tp.Partition, lag) })
		}
		for _, id := range r.prodIDs {
			p, ok := r.sim.Machine(id).(*workloads.ProducerHost)
			if !ok || p.Producer() == nil {
				continue
			}
			if r.statsOf[id] != p.Producer() {
				r.statsOf[id], r.stats[id] = p.Producer(), client.ProducerStats{}
			}
			st, last := p.Producer().Stats(), r.stats[id]
			if st.Batches > last.Batches {
				recs := st.BatchRecords - last.BatchRecords
				wire := st.BytesSent - last.BytesSent
				r.rec.ProduceBatches(now, int(st.Batches-last.Batches), int(recs), int64(float64(recs)*r.meanSize(id)), wire)
			}
			r.stats[id] = st
		}
		r.sampleAt(r.sim.Now() + r.rec.Interval())
	})
}

// sampleRequests counts the requests broker id received since the last sample, by API
// (a restarted broker counts from zero again).
func (r *runner) sampleRequests(now time.Duration, id node.ID) {
	b, ok := r.sim.Machine(id).(*broker.Broker)
	if !ok {
		return
	}
	if r.reqsOf[id] != b {
		r.reqsOf[id], r.reqs[id] = b, make([]int64, len(broker.APINames()))
	}
	last := r.reqs[id]
	st := b.Stats()
	for i, api := range broker.APINames() {
		for n := st.Requests[i] - last[i]; n > 0; n-- {
			r.rec.Request(now, api)
		}
		last[i] = st.Requests[i]
	}
}

func (r *runner) meanSize(id node.ID) float64 {
	for i, pid := range r.prodIDs {
		if pid == id {
			return r.prods[i].Size.Mean()
		}
	}
	return 0
}

// setup starts the controller and the brokers and creates the topics.
func (r *runner) setup() error {
	s := r.s
	hw := serverNode(&s.Hardware.Hardware)
	ccfg := controllerConfig(s)
	if _, err := r.sim.AddNodeWithID(controllerID, "controller", hw, func() node.Machine { return controller.New(ccfg) }); err != nil {
		return err
	}
	bcfg := brokerConfig(s)
	obs := &observer{h: r.hist, logStart: map[proto.TopicPartition]int64{}}
	for i := 0; i < s.Cluster.Brokers; i++ {
		id, err := r.sim.AddNodeWithID(node.ID(i), "broker-"+strconv.Itoa(i), hw, func() node.Machine {
			b := broker.New(bcfg)
			b.SetObserver(obs)
			return b
		})
		if err != nil {
			return err
		}
		r.brokers = append(r.brokers, id)
	}
	admin := &workloads.Admin{}
	if _, err := r.sim.AddNodeWithID(adminID, "admin", clientNode(&s.Hardware.Hardware), func() node.Machine { return admin }); err != nil {
		return err
	}
	if err := r.sim.Start(); err != nil {
		return err
	}
	ok, err := r.sim.RunUntil(60*time.Second, func() bool {
		for _, id := range r.brokers {
			b, _ := r.sim.Machine(id).(*broker.Broker)
			if b == nil || !b.Registered() {
				return false
			}
		}
		ctl, _ := r.sim.Machine(controllerID).(*controller.Controller)
		if ctl == nil {
			return false
		}
		bs := ctl.State().Brokers()
		for _, b := range bs {
			if b.Fenced {
				return false
			}
		}
		return len(bs) == len(r.brokers)
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the brokers did not register with the controller within 60s of simulated time")
	}
	r.cl = &cluster{sim: r.sim, brokers: r.brokers, clients: map[string][]node.ID{}}
	if len(s.Topics) == 0 {
		return nil
	}
	req := &proto.CreateTopicsRequest{Correlation: 1}
	for i := range s.Topics {
		t := &s.Topics[i]
		req.Topics = append(req.Topics, proto.CreatableTopic{Name: t.Name, NumPartitions: int32(t.Partitions),
			ReplicationFactor: int16(t.ReplicationFactor), Configs: topicConfigs(s, t)})
	}
	if err := r.sim.Post(adminID, func() { admin.Send(controllerID, req) }); err != nil {
		return err
	}
	ok, err = r.sim.RunUntil(r.sim.Now()+60*time.Second, func() bool {
		if len(admin.Responses) == 0 {
			return false
		}
		for i := range s.Topics {
			for p := 0; p < s.Topics[i].Partitions; p++ {
				tp := proto.TopicPartition{Topic: s.Topics[i].Name, Partition: int32(p)}
				l := r.cl.Leader(tp.Topic, tp.Partition)
				b, _ := r.sim.Machine(l).(*broker.Broker)
				if l < 0 || b == nil {
					return false
				}
				if pi, ok := b.Partition(tp); !ok || pi.Leader != int32(l) {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	if len(admin.Responses) > 0 {
		if resp, isResp := admin.Responses[0].(*proto.CreateTopicsResponse); isResp {
			for _, t := range resp.Topics {
				if t.Err != proto.NONE {
					return fmt.Errorf("creating topic %s: %s: %s", t.Name, t.Err, t.Message)
				}
			}
		}
	}
	if !ok {
		return fmt.Errorf("the topics' partitions got no leader within 60s of simulated time")
	}
	return nil
}

// addClients adds and starts the producer and consumer nodes, and the final reader
// (started at the drain phase).
func (r *runner) addClients() {
	s := r.s
	hw := clientNode(&s.Hardware.Hardware)
	id := firstClient
	total := 0
	for i := range s.Producers {
		total += s.Producers[i].Count
	}
	partitions := map[string]int{}
	for _, t := range s.Topics {
		partitions[t.Name] = t.Partitions
	}
	global := 0
	for i := range s.Producers {
		p := &s.Producers[i]
		cfg := producerConfig(s, p, r.brokers)
		for j := 0; j < p.Count; j++ {
			name := InstanceName(p.Name, j)
			wr := r.sim.Stream("workload/" + name)
			spec := &workloads.ProducerSpec{Name: name, Config: cfg, Topic: p.Topic, Partitions: partitions[p.Topic],
				Arrivals: p.Arrivals(j, wr), Size: p.MessageSize, IgnoreKeys: p.Config.PartitionerIgnoreKeys,
				Values: workloads.NewValueIDs(global, total), Rand: wr,
				History: r.hist, Metrics: r.met, Now: r.sim.Now}
			if !p.Keys.None() {
				spec.Keys = p.Keys.Chooser(r.sim.Stream("workload/"+name+"/keys"), j)
			}
			global++
			r.mustAdd(id, name, hw, func() node.Machine { return workloads.NewProducerHost(spec) })
			r.prodIDs = append(r.prodIDs, id)
			r.prods = append(r.prods, spec)
			r.cl.clients[p.Name] = append(r.cl.clients[p.Name], id)
			r.cl.all = append(r.cl.all, id)
			id++
		}
	}
	for i := range s.Consumers {
		co := &s.Consumers[i]
		group := co.Group
		if group == "" {
			group = co.Name
		}
		for j := 0; j < co.Count; j++ {
			name := InstanceName(co.Name, j)
			spec := &workloads.ConsumerSpec{Name: name, Config: consumerConfig(s, co, name, r.brokers), App: appConfig(s, co, j),
				MetricsGroup: group, Start: r.sim.Now(), History: r.hist, Metrics: r.met, Now: r.sim.Now}
			r.mustAdd(id, name, hw, func() node.Machine { return workloads.NewConsumerHost(spec) })
			r.consIDs = append(r.consIDs, id)
			r.cons[id] = spec
			r.cl.clients[co.Name] = append(r.cl.clients[co.Name], id)
			r.cl.all = append(r.cl.all, id)
			id++
		}
	}
	for _, cid := range r.consIDs {
		if err := r.sim.StartNode(cid); err != nil {
			panic(fmt.Sprintf("scenarios: starting client %s: %v", r.sim.Name(cid), err))
		}
	}
	// The final reader: every partition from its log start, no group.
	var all []proto.TopicPartition
	for _, t := range s.Topics {
		for p := 0; p < t.Partitions; p++ {
			all = append(all, proto.TopicPartition{Topic: t.Name, Partition: int32(p)})
		}
	}
	cc := client.DefaultConsumerConfig("", r.brokers...)
	cc.ClientID, cc.EnableAutoCommit, cc.AutoOffsetReset = "final-reader", false, client.ResetEarliest
	cc.MaxPollRecords = 10000
	reader := &workloads.ConsumerSpec{Name: "final-reader", Config: cc,
		App:     client.AppConfig{Partitions: all, SeekToBeginning: true, Mode: client.CommitAuto},
		History: r.hist, Metrics: quiet{r.met}, Now: r.sim.Now}
	r.readerID = id
	r.mustAdd(id, "final-reader", hw, func() node.Machine { return workloads.NewConsumerHost(reader) })
}

// waitForGroups runs until every subscribing consumer entry's instances together hold
// every partition of their topics, for at most a minute of simulated time.
func (r *runner) waitForGroups() error {
	s := r.s
	want := map[string]int{}
	for _, t := range s.Topics {
		want[t.Name] = t.Partitions
	}
	ready := func() bool {
		id := 0
		for i := range s.Consumers {
			co := &s.Consumers[i]
			held := map[proto.TopicPartition]bool{}
			for j := 0; j < co.Count; j++ {
				if c, ok := r.sim.Machine(r.consIDs[id+j]).(*workloads.ConsumerHost); ok {
					for _, tp := range c.Consumer().Assignment() {
						held[tp] = true
					}
				}
			}
			id += co.Count
			if len(co.Topics) == 0 {
				continue
			}
			n := 0
			for _, t := range co.Topics {
				n += want[t]
			}
			if len(held) < n {
				return false
			}
		}
		return true
	}
	_, err := r.sim.RunUntil(r.sim.Now()+time.Minute, ready)
	return err
}

// startProducers starts the producer clients at the beginning of the load phase.
func (r *runner) startProducers() {
	healEnd := r.t0 + r.s.Duration + r.s.Phases.Heal
	for i, id := range r.prodIDs {
		r.prods[i].Start, r.prods[i].Stop = r.t0, healEnd
		if err := r.sim.StartNode(id); err != nil {
			panic(fmt.Sprintf("scenarios: starting client %s: %v", r.sim.Name(id), err))
		}
	}
}

func (r *runner) mustAdd(id node.ID, name string, hw sim.NodeConfig, f func() node.Machine) {
	if _, err := r.sim.AddNodeWithID(id, name, hw, f); err != nil {
		panic(fmt.Sprintf("scenarios: adding client %s: %v", name, err))
	}
}

// FaultEvent records a fault's start or stop in the history (faults.Hooks).
func (r *runner) FaultEvent(name, action, detail string) { r.hist.Fault(name, action, detail) }

// FaultWindow records a fault window in the reports (faults.Hooks).
func (r *runner) FaultWindow(name, target string, start, stop time.Duration) {
	r.met.syncOrPanic()
	r.rec.Fault(name, target, r.met.rel(start), r.met.rel(stop))
}

// SlowConsumer adds processing time to a consumer (faults.Hooks).
func (r *runner) SlowConsumer(id node.ID, extra time.Duration) {
	if c, ok := r.cons[id]; ok {
		c.SetExtraProcessing(extra)
	}
}

// StallConsumer stalls a consumer's application until the fault ends (faults.Hooks).
func (r *runner) StallConsumer(id node.ID, until time.Duration) {
	if c, ok := r.cons[id]; ok {
		c.StallUntil(until)
	}
}

// judge compares the outcome with the scenario's expectations.
func (r *runner) judge(out *Outcome) {
	e := &r.s.Expect
	res := out.Check
	found := map[string]bool{}
	for _, t := range res.AnomalyTypes {
		found[t] = true
	}
	valid := res.Valid
	if len(out.Findings) > 0 && e.Liveness {
		found["liveness"] = true
		valid = false
	}
	for _, a := range e.Anomalies {
		if !found[a] {
			out.Reasons = append(out.Reasons, fmt.Sprintf("expected anomaly %s was not found", a))
		}
	}
	errs := slices.Clone(res.Errors)
	if found["liveness"] {
		errs = append(errs, "liveness")
	}
	for _, t := range errs {
		if !slices.Contains(e.Anomalies, t) && !slices.Contains(e.Allow, t) {
			out.Reasons = append(out.Reasons, fmt.Sprintf("unexpected anomaly %s", t))
		}
	}
	if valid != e.Valid {
		out.Reasons = append(out.Reasons, fmt.Sprintf("expected the history to be %s, the checker found it %s", validWord(e.Valid), validWord(valid)))
	}
	sum := &out.Metrics.Summary
	if e.Throughput > 0 {
		rate := loadRate(out.Metrics, r.s.Duration)
		if rate < float64(e.Throughput) {
			out.Reasons = append(out.Reasons, fmt.Sprintf("throughput %.0f records/s is below the expected minimum %.0f/s", rate, float64(e.Throughput)))
		}
	}
	for _, key := range slices.Sorted(mapsKeys(e.Latency)) {
		bound := e.Latency[key]
		got, ok := latencyOf(sum, key)
		if !ok {
			continue
		}
		if got > bound {
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s latency %s is above the bound %s", key, reports.FormatLatency(got), reports.FormatLatency(bound)))
		}
	}
}

// warn notes consumer groups that consumed nothing while records were acknowledged.
func (r *runner) warn(out *Outcome) {
	if out.Acked == 0 {
		out.Warnings = append(out.Warnings, "no record was acknowledged: the load measured nothing")
		return
	}
	consumed := map[string]int64{}
	for _, g := range out.Metrics.Groups {
		consumed[g.Name] = g.Consumed
	}
	seen := map[string]bool{}
	for _, c := range r.s.Consumers {
		g := c.Group
		if g == "" {
			g = c.Name
		}
		if seen[g] || consumed[g] > 0 {
			continue
		}
		seen[g] = true
		what := "consumer " + c.Name
		if c.Group != "" {
			what = "consumer group " + c.Group
		}
		out.Warnings = append(out.Warnings, what+" consumed no record (no member got an assignment, or its position stayed at the end)")
	}
}

// loadRate is the acknowledged records per second over the load phase.
func loadRate(m *reports.Metrics, load time.Duration) float64 {
	_, acked := loadRates(m, load)
	return acked
}

func loadRates(m *reports.Metrics, load time.Duration) (sent, acked float64) {
	var s, a int64
	for _, iv := range m.Intervals {
		if iv.StartNs < int64(load) {
			s += iv.Sent
			a += iv.Published
		}
	}
	return float64(s) / load.Seconds(), float64(a) / load.Seconds()
}

// LoadThroughput is the records per second the producers sent and got acknowledged
// over the load phase (the figures expect.throughput.min judges).
func (out *Outcome) LoadThroughput() (sent, acked float64) {
	if out.Metrics == nil {
		return 0, 0
	}
	return loadRates(out.Metrics, out.Scenario.Duration)
}

func mapsKeys(m map[string]time.Duration) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func validWord(v bool) string {
	if v {
		return "valid"
	}
	return "invalid"
}

// latencyOf reads produce.pNN or end-to-end.pNN from the summary.
func latencyOf(sum *reports.Summary, key string) (time.Duration, bool) {
	kind, pct, ok := strings.Cut(key, ".p")
	if !ok {
		return 0, false
	}
	st := &sum.PublishLatency
	if kind == "end-to-end" {
		st = &sum.EndToEndLatency
	}
	var ns int64
	switch pct {
	case "50":
		ns = st.P50Ns
	case "75":
		ns = st.P75Ns
	case "90":
		ns = st.P90Ns
	case "95":
		ns = st.P95Ns
	case "99":
		ns = st.P99Ns
	case "99.9":
		ns = st.P999Ns
	case "99.99":
		ns = st.P9999Ns
	case "99.999":
		ns = st.P99999Ns
	case "100":
		ns = st.MaxNs
	default:
		return 0, false
	}
	return time.Duration(ns), true
}

// Report is the reports' view of the run: what result.json, report.html and the
// comparisons of a sweep are built from.
func (out *Outcome) Report() *reports.Run {
	s := out.Scenario
	var scen any
	if b, err := s.Marshal(); err == nil {
		_ = yaml.Unmarshal(b, &scen)
	}
	v := reports.Verdict{Status: "pass", Summary: "every expectation held"}
	if !out.Passed {
		v.Status, v.Summary = "fail", strings.Join(out.Reasons, "; ")
	}
	if len(out.Warnings) > 0 {
		v.Summary += "; warning: " + strings.Join(out.Warnings, "; warning: ")
	}
	if res := out.Check; res != nil {
		for _, t := range res.AnomalyTypes {
			list := res.Anomalies[t]
			a := reports.Anomaly{Kind: t, Summary: fmt.Sprintf("%d instance(s)", len(list))}
			var expl []string
			for i, x := range list {
				if i == 5 {
					expl = append(expl, fmt.Sprintf("... and %d more", len(list)-5))
					break
				}
				expl = append(expl, x.Explanation)
			}
			a.Explanation = strings.Join(expl, "\n")
			a.Details = list[:min(len(list), 20)]
			v.Anomalies = append(v.Anomalies, a)
		}
		v.Details = map[string]any{"valid": res.Valid, "anomaly_types": res.AnomalyTypes, "errors": res.Errors,
			"linearizable": res.Linearizable, "stats": res.Stats}
	}
	for _, f := range out.Findings {
		v.Anomalies = append(v.Anomalies, reports.Anomaly{Kind: "liveness", Summary: f, Explanation: f})
	}
	if out.Failure != nil {
		v.Anomalies = append(v.Anomalies, reports.Anomaly{Kind: "failure", Summary: out.Failure.Error(), Explanation: out.Failure.Stack})
	}
	omb := reports.OMBInfo{Workload: s.Name, Driver: "logsim", Topics: len(s.Topics)}
	for _, t := range s.Topics {
		omb.Partitions += t.Partitions
	}
	if len(s.Producers) > 0 {
		omb.MessageSize = int64(math.Round(s.Producers[0].MessageSize.Mean()))
	}
	for _, p := range s.Producers {
		omb.ProducersPerTopic += p.Count
	}
	for _, c := range s.Consumers {
		omb.ConsumersPerTopic += c.Count
	}
	if n := max(len(s.Topics), 1); n > 1 {
		omb.ProducersPerTopic /= n
		omb.ConsumersPerTopic /= n
	}
	return &reports.Run{Name: s.Name, Seed: int64(s.Seed), Reproduce: out.Reproduce, Scenario: scen, Verdict: v, OMB: omb, Metrics: out.Metrics}
}

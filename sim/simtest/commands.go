package simtest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"logsim/broker/client"
	"logsim/broker/node"
	"logsim/broker/proto"
)

// Run executes one command and returns its output. The commands:
//
//	create-topic NAME [partitions=1] [rf=3] [assign=1,2,3] [config.key=value ...]
//	producer NAME [acks=all] [idempotence=true] [retries=N] [linger=0s] [inflight=5]
//	         [request-timeout=30s] [delivery-timeout=120s] [retry-backoff=100ms]
//	         [batch-size=16384] [compression=none] [buffer-memory=N] [max-block=60s]
//	         [payload=random|text|json] [sample-rate=0.01]
//	produce NAME TOPIC/PARTITION values=1,2,3|values=1..5 [size=100] [key=K]
//	results NAME                 completed sends since the last results
//	run for=DURATION             advance virtual time; prints the observations
//	step [n=1]                   dispatch the next n events and print their trace
//	crash|power-fail|restart|pause|resume NODE...
//	partition NODE... | NODE...  cut the network between the groups
//	isolate NODE                 cut NODE from every other node
//	heal                         remove every network partition
//	clog FROM TO | unclog FROM TO | reset-connection A B
//	disk-full NODE on|off        appends fail with ErrDiskFull
//	print-log BROKER TOPIC/PARTITION [sizes]
//	print-isr TOPIC/PARTITION    the controller's and every broker's view
//	consume TOPIC/PARTITION [from=0] [via=BROKER]   a consumer Fetch
//	events                       observations not yet printed
//	consumer NAME group=G (topics=A,B | partitions=T/0,T/1) [mode=auto|after-processing|
//	         before-processing|async-worker] [processing=DURATION] [strategy=range|
//	         roundrobin|cooperative-sticky] [reset=earliest|latest|none] [session=10s]
//	         [heartbeat=1s] [max-poll=30s] [auto-commit-interval=1s] [max-poll-records=500]
//	         [max-partition-fetch-bytes=N] [kip320=true] [seek-to-beginning=false]
//	                             a client node running a consumer application
//	consumed NAME                records the application processed since the last consumed
//	print-group GROUP            the coordinator's view: state, generation, members, offsets
//	stop-consumer NAME           close the consumer: commit (auto-commit) and LeaveGroup
//	unconsumed TOPIC             acknowledged values no consumer processed
func (h *Harness) Run(cmd Command) (string, error) {
	for _, c := range harnessCommands {
		if c.name == cmd.Name {
			return c.do(h, cmd)
		}
	}
	return "", fmt.Errorf("unknown command %q; accepted: %s", cmd.Name, strings.Join(commandNames(), ", "))
}

// harnessCommands is the command language, in the order the error message lists it.
var harnessCommands = []struct {
	name string
	do   func(*Harness, Command) (string, error)
}{
	{"create-topic", (*Harness).createTopic},
	{"producer", (*Harness).producer},
	{"produce", (*Harness).produce},
	{"results", (*Harness).results},
	{"run", (*Harness).runFor},
	{"step", (*Harness).step},
	{"crash", (*Harness).lifecycle},
	{"power-fail", (*Harness).lifecycle},
	{"restart", (*Harness).lifecycle},
	{"pause", (*Harness).lifecycle},
	{"resume", (*Harness).lifecycle},
	{"partition", (*Harness).partition},
	{"isolate", (*Harness).isolate},
	{"heal", (*Harness).heal},
	{"clog", (*Harness).link},
	{"unclog", (*Harness).link},
	{"reset-connection", (*Harness).link},
	{"disk-full", (*Harness).diskFull},
	{"print-log", (*Harness).printLog},
	{"print-isr", (*Harness).printISR},
	{"consume", (*Harness).consume},
	{"events", func(h *Harness, _ Command) (string, error) { return h.drainEvents(), nil }},
	{"consumer", (*Harness).consumer},
	{"consumed", (*Harness).consumed},
	{"print-group", (*Harness).printGroup},
	{"stop-consumer", (*Harness).stopConsumer},
	{"unconsumed", (*Harness).unconsumed},
}

func commandNames() []string {
	names := make([]string, len(harnessCommands))
	for i, c := range harnessCommands {
		names[i] = c.name
	}
	return names
}

// runFor runs the simulation for=DURATION and prints what happened.
func (h *Harness) runFor(cmd Command) (string, error) {
	d, err := time.ParseDuration(cmd.Get("for", "0s"))
	if err != nil {
		return "", fmt.Errorf("run for=%s: want a duration", cmd.Get("for", ""))
	}
	out, err := h.run(d)
	return strings.TrimSpace(fmt.Sprintf("t=%v\n%s", h.Sim.Now(), out)), err
}

// step dispatches n=N events and prints their trace lines.
func (h *Harness) step(cmd Command) (string, error) {
	n, err := intArg(cmd, "n", 1)
	if err != nil {
		return "", err
	}
	h.trace.capture, h.trace.buf = true, h.trace.buf[:0]
	_, err = h.Sim.RunEvents(n)
	h.trace.capture = false
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(h.trace.buf) + "\n" + h.drainEvents()), nil
}

// heal ends every network fault.
func (h *Harness) heal(Command) (string, error) {
	h.Sim.HealAll()
	h.parts = nil
	return "", nil
}

func (h *Harness) createTopic(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "one topic name")
	if err != nil {
		return "", err
	}
	parts, err := intArg(cmd, "partitions", 1)
	if err != nil {
		return "", err
	}
	rf, err := intArg(cmd, "rf", 3)
	if err != nil {
		return "", err
	}
	t := proto.CreatableTopic{Name: words[0], NumPartitions: int32(parts), ReplicationFactor: int16(rf), Configs: map[string]string{}}
	if a := cmd.Get("assign", ""); a != "" {
		var rs []int32
		for _, f := range strings.Split(a, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				return "", fmt.Errorf("assign=%s: want broker ids like 1,2,3", a)
			}
			rs = append(rs, int32(n))
		}
		for i := 0; i < parts; i++ {
			t.Assignment = append(t.Assignment, rs)
		}
	}
	for _, a := range cmd.Args {
		if strings.Contains(a.Key, ".") {
			t.Configs[a.Key] = a.Value
		}
	}
	resp, err := h.adminRequest(ControllerID, &proto.CreateTopicsRequest{Correlation: h.nextCorr(), Topics: []proto.CreatableTopic{t}})
	if err != nil {
		return "", err
	}
	r := resp.(*proto.CreateTopicsResponse).Topics[0]
	if r.Err != proto.NONE {
		return fmt.Sprintf("%s: %s", r.Err, r.Message), nil
	}
	if err := h.awaitLeaders(t.Name, parts); err != nil {
		return "", err
	}
	var out []string
	for p := 0; p < parts; p++ {
		tp := proto.TopicPartition{Topic: t.Name, Partition: int32(p)}
		st, _ := h.controller().State().Partition(tp)
		out = append(out, fmt.Sprintf("%s: leader=b%d epoch=%d replicas=%s isr=%s", tp, st.Leader, st.LeaderEpoch, fmtIDs(st.Replicas), fmtIDs(st.ISR)))
	}
	if ev := h.drainEvents(); ev != "" {
		out = append(out, ev)
	}
	return strings.Join(out, "\n"), nil
}

// awaitLeaders runs the simulation until the leader of every partition of topic knows
// it leads, for at most 10 s of virtual time.
func (h *Harness) awaitLeaders(topic string, parts int) error {
	ok, err := h.Sim.RunUntil(h.Sim.Now()+10*time.Second, func() bool {
		for p := 0; p < parts; p++ {
			tp := proto.TopicPartition{Topic: topic, Partition: int32(p)}
			leader, _, ok := h.controller().Leader(tp)
			if !ok || leader < 0 {
				return false
			}
			b := h.broker(node.ID(leader))
			if b == nil {
				return false
			}
			if pi, ok := b.Partition(tp); !ok || pi.Leader != leader {
				return false
			}
		}
		return true
	})
	if err == nil && !ok {
		err = fmt.Errorf("partitions of %s got no leader within 10s", topic)
	}
	return err
}

func (h *Harness) producer(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "one name")
	if err != nil {
		return "", err
	}
	cfg, err := h.producerConfig(cmd)
	if err != nil {
		return "", err
	}
	id, err := h.addClient(words[0], &cfg)
	if err != nil {
		return "", err
	}
	return "", h.Sim.StartNode(id)
}

// producerConfig reads the producer's settings from the arguments of the producer
// command, over Kafka's defaults but for linger.ms=0.
func (h *Harness) producerConfig(cmd Command) (client.ProducerConfig, error) {
	cfg := client.DefaultProducerConfig(h.Brokers...)
	cfg.Linger = 0
	for _, a := range cmd.Args {
		if a.Value == "" {
			continue
		}
		var err error
		switch a.Key {
		case "acks":
			cfg.Acks, err = proto.ParseAcks(a.Value)
		case "idempotence":
			cfg.EnableIdempotence = a.Value == "true"
		case "retries":
			cfg.Retries, err = strconv.Atoi(a.Value)
			if a.Value == "max" {
				cfg.Retries, err = math.MaxInt32, nil
			}
		case "linger":
			cfg.Linger, err = time.ParseDuration(a.Value)
		case "inflight":
			cfg.MaxInFlightRequestsPerConnection, err = strconv.Atoi(a.Value)
		case "request-timeout":
			cfg.RequestTimeout, err = time.ParseDuration(a.Value)
		case "delivery-timeout":
			cfg.DeliveryTimeout, err = time.ParseDuration(a.Value)
		case "retry-backoff":
			cfg.RetryBackoff, err = time.ParseDuration(a.Value)
		case "batch-size":
			cfg.BatchSize, err = strconv.Atoi(a.Value)
		case "compression":
			cfg.CompressionType, err = proto.ParseCompression(a.Value)
		case "buffer-memory":
			cfg.BufferMemory, err = strconv.ParseInt(a.Value, 10, 64)
		case "max-block":
			cfg.MaxBlock, err = time.ParseDuration(a.Value)
		case "payload":
			cfg.Payload, err = proto.ParsePayloadKind(a.Value)
		case "sample-rate":
			cfg.CompressionSampleRate, err = strconv.ParseFloat(a.Value, 64)
		default:
			return cfg, fmt.Errorf("producer: unknown argument %q", a.Key)
		}
		if err != nil {
			return cfg, fmt.Errorf("producer %s=%s: %v", a.Key, a.Value, err)
		}
	}
	return cfg, cfg.Validate()
}

func parseValues(s string) ([]int64, error) {
	if lo, hi, ok := strings.Cut(s, ".."); ok {
		a, err1 := strconv.ParseInt(lo, 10, 64)
		b, err2 := strconv.ParseInt(hi, 10, 64)
		if err1 != nil || err2 != nil || b < a {
			return nil, fmt.Errorf("values=%s: want a range like 1..5", s)
		}
		var out []int64
		for v := a; v <= b; v++ {
			out = append(out, v)
		}
		return out, nil
	}
	var out []int64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("values=%s: want integers like 1,2,3", s)
		}
		out = append(out, v)
	}
	return out, nil
}

func (h *Harness) produce(cmd Command) (string, error) {
	words, err := cmd.exactWords(2, "a producer name and a topic/partition")
	if err != nil {
		return "", err
	}
	id, ok := h.clients[words[0]]
	if !ok || h.clientObjs[id].ProducerConfig == nil {
		return "", fmt.Errorf("no producer %q", words[0])
	}
	tp, err := parseTP(words[1])
	if err != nil {
		return "", err
	}
	values, err := parseValues(cmd.Get("values", ""))
	if err != nil {
		return "", err
	}
	size, err := intArg(cmd, "size", 100)
	if err != nil {
		return "", err
	}
	key := cmd.Get("key", "")
	c := h.clientObjs[id]
	return "", h.Sim.Post(id, func() {
		for _, v := range values {
			c.Send(client.Record{Topic: tp.Topic, Partition: tp.Partition, Key: key, Value: v, Size: int32(size)})
		}
	})
}

func (h *Harness) results(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "a producer name")
	if err != nil {
		return "", err
	}
	id, ok := h.clients[words[0]]
	if !ok {
		return "", fmt.Errorf("no client %q", words[0])
	}
	c := h.clientObjs[id]
	var out []string
	for _, r := range c.Results[h.printed[id]:] {
		line := fmt.Sprintf("%d: %s", r.Value, r.Result.Outcome)
		if r.Result.Offset >= 0 {
			line += fmt.Sprintf(" %s@%d", r.Result.TP, r.Result.Offset)
		}
		if r.Result.Err != "" {
			line += " " + r.Result.Err
		}
		if r.Result.Attempts > 1 {
			line += fmt.Sprintf(" (attempts=%d)", r.Result.Attempts)
		}
		if r.Result.Blocked > 0 {
			line += fmt.Sprintf(" blocked=%v", r.Result.Blocked)
		}
		out = append(out, line)
	}
	h.printed[id] = len(c.Results)
	if len(out) == 0 {
		return "none", nil
	}
	return strings.Join(out, "\n"), nil
}

func (h *Harness) lifecycle(cmd Command) (string, error) {
	ids, err := h.nodes(cmd.Words())
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		switch cmd.Name {
		case "crash":
			err = h.Sim.Crash(id)
		case "power-fail":
			err = h.Sim.PowerLoss(id)
		case "restart":
			err = h.Sim.Restart(id)
		case "pause":
			err = h.Sim.Pause(id)
		case "resume":
			err = h.Sim.Resume(id)
		}
		if err != nil {
			return "", err
		}
	}
	return h.drainEvents(), nil
}

func (h *Harness) partition(cmd Command) (string, error) {
	var groups [][]node.ID
	var cur []node.ID
	for _, w := range cmd.Words() {
		if w == "|" {
			groups = append(groups, cur)
			cur = nil
			continue
		}
		id, err := h.node(w)
		if err != nil {
			return "", err
		}
		cur = append(cur, id)
	}
	groups = append(groups, cur)
	if len(groups) < 2 {
		return "", fmt.Errorf("partition wants groups separated by |")
	}
	pid, err := h.Sim.Partition(groups...)
	if err != nil {
		return "", err
	}
	h.parts = append(h.parts, pid)
	return "", nil
}

func (h *Harness) isolate(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "one node")
	if err != nil {
		return "", err
	}
	id, err := h.node(words[0])
	if err != nil {
		return "", err
	}
	var rest []node.ID
	for _, other := range h.Sim.NodeIDs() {
		if other != id {
			rest = append(rest, other)
		}
	}
	pid, err := h.Sim.Partition([]node.ID{id}, rest)
	if err != nil {
		return "", err
	}
	h.parts = append(h.parts, pid)
	return "", nil
}

func (h *Harness) link(cmd Command) (string, error) {
	ids, err := h.nodes(cmd.Words())
	if err != nil {
		return "", err
	}
	if len(ids) != 2 {
		return "", fmt.Errorf("%s wants two nodes", cmd.Name)
	}
	switch cmd.Name {
	case "clog":
		err = h.Sim.Clog(ids[0], ids[1])
	case "unclog":
		err = h.Sim.Unclog(ids[0], ids[1])
	default:
		err = h.Sim.ResetConnection(ids[0], ids[1])
	}
	return "", err
}

func (h *Harness) diskFull(cmd Command) (string, error) {
	words := cmd.Words()
	if len(words) != 2 || (words[1] != "on" && words[1] != "off") {
		return "", fmt.Errorf("disk-full wants a node and on or off")
	}
	id, err := h.node(words[0])
	if err != nil {
		return "", err
	}
	return "", h.Sim.SetDiskFull(id, words[1] == "on")
}

func (h *Harness) printLog(cmd Command) (string, error) {
	var words []string
	for _, w := range cmd.Words() {
		if w != "sizes" {
			words = append(words, w)
		}
	}
	if len(words) != 2 {
		return "", fmt.Errorf("print-log wants a broker and a topic/partition")
	}
	id, err := h.node(words[0])
	if err != nil {
		return "", err
	}
	tp, err := parseTP(words[1])
	if err != nil {
		return "", err
	}
	b := h.broker(id)
	if b == nil {
		return words[0] + " is down", nil
	}
	pi, ok := b.Partition(tp)
	if !ok {
		return fmt.Sprintf("%s has no replica of %s", words[0], tp), nil
	}
	role := "follower"
	if pi.Leader == int32(id) {
		role = "leader"
	}
	out := []string{fmt.Sprintf("%s %s: %s epoch=%d hw=%d leo=%d start=%d", words[0], tp, role, pi.LeaderEpoch, pi.HighWatermark, pi.LogEndOffset, pi.LogStartOffset)}
	for _, bt := range pi.Batches {
		line := "  " + bt.String()
		if cmd.Has("sizes") {
			line += fmt.Sprintf(" %s bytes=%d raw=%d", bt.Compression, bt.SizeBytes, proto.BatchHeaderSize+bt.UncompressedBytes())
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n"), nil
}

func (h *Harness) printISR(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "a topic/partition")
	if err != nil {
		return "", err
	}
	tp, err := parseTP(words[0])
	if err != nil {
		return "", err
	}
	var out []string
	if c := h.controller(); c != nil {
		st, ok := c.State().Partition(tp)
		if !ok {
			return "", fmt.Errorf("unknown partition %s", tp)
		}
		line := fmt.Sprintf("controller: leader=%s epoch=%d isr=%s", leaderName(st.Leader), st.LeaderEpoch, fmtIDs(st.ISR))
		if len(st.ELR) > 0 {
			line += " elr=" + fmtIDs(st.ELR)
		}
		out = append(out, line)
	} else {
		out = append(out, "controller: down")
	}
	for _, id := range h.Brokers {
		b := h.broker(id)
		if b == nil {
			out = append(out, fmt.Sprintf("b%d: down", id))
			continue
		}
		pi, ok := b.Partition(tp)
		if !ok {
			continue
		}
		halted := ""
		if b.Halted() {
			halted = " (halted)"
		}
		out = append(out, fmt.Sprintf("b%d: leader=%s epoch=%d isr=%s hw=%d leo=%d%s", id, leaderName(pi.Leader), pi.LeaderEpoch, fmtIDs(pi.ISR), pi.HighWatermark, pi.LogEndOffset, halted))
	}
	return strings.Join(out, "\n"), nil
}

func leaderName(id int32) string {
	if id < 0 {
		return "none"
	}
	return "b" + strconv.Itoa(int(id))
}

func (h *Harness) consume(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "a topic/partition")
	if err != nil {
		return "", err
	}
	tp, err := parseTP(words[0])
	if err != nil {
		return "", err
	}
	from, err := intArg(cmd, "from", 0)
	if err != nil {
		return "", err
	}
	var to node.ID
	if v := cmd.Get("via", ""); v != "" {
		if to, err = h.node(v); err != nil {
			return "", err
		}
	} else {
		c := h.controller()
		if c == nil {
			return "", fmt.Errorf("controller is down: name the broker with via=")
		}
		leader, _, _ := c.Leader(tp)
		if leader < 0 {
			return fmt.Sprintf("%s has no leader", tp), nil
		}
		to = node.ID(leader)
	}
	resp, err := h.adminRequest(to, &proto.FetchRequest{Correlation: h.nextCorr(), ReplicaID: proto.ConsumerReplicaID, MaxBytes: 1 << 20,
		Partitions: []proto.FetchPartition{{TopicPartition: tp, CurrentLeaderEpoch: -1, FetchOffset: int64(from), LastFetchedEpoch: -1, MaxBytes: 1 << 20}}})
	if err != nil {
		return "", err
	}
	p := resp.(*proto.FetchResponse).Partitions[0]
	if p.Err != proto.NONE {
		return fmt.Sprintf("%s from %s: %s", tp, h.Sim.Name(to), p.Err), nil
	}
	var recs []string
	for _, bt := range p.Batches {
		for i, r := range bt.Records() {
			if off := bt.BaseOffset + int64(i); off >= int64(from) {
				recs = append(recs, fmt.Sprintf("%d:%d", off, r.Value))
			}
		}
	}
	return fmt.Sprintf("%s from %s: hw=%d records=[%s]", tp, h.Sim.Name(to), p.HighWatermark, strings.Join(recs, " ")), nil
}

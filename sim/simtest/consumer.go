package simtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"logsim/broker/client"
	"logsim/broker/group"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/sim"
)

// ConsumerNode is a client node running a consumer application for tests. It keeps
// what the application processed and reports the consumer's rebalances, resets and
// failed commits and polls to the harness's events.
type ConsumerNode struct {
	Name string
	Cfg  client.ConsumerConfig
	App  client.AppConfig
	// Processed are the records processed, in order, across restarts.
	Processed []client.ConsumerRecord
	// Committed counts commits that took effect.
	Committed int

	app *client.App
	h   *Harness
}

// Start builds the consumer and starts the application (a restart is a new
// application instance: nothing survives a crash in memory).
func (c *ConsumerNode) Start(env node.Env, restart bool) {
	cc := c.Cfg
	cons := client.NewConsumer(env, cc)
	cons.OnEvent = c.event
	c.app = client.NewApp(env, cons, c.App)
	c.app.OnProcessed = func(r client.ConsumerRecord) { c.Processed = append(c.Processed, r) }
	c.app.Start()
}

// Handle passes events to the application.
func (c *ConsumerNode) Handle(ev node.Event) {
	c.app.Handle(ev)
}

func (c *ConsumerNode) event(ev client.ConsumerEvent) {
	switch ev.Kind {
	case client.EventRebalance:
		line := fmt.Sprintf("%s: generation %d assigned %s", c.Name, ev.Generation, fmtTPs(ev.Partitions))
		if len(ev.Revoked) > 0 {
			line += " revoked " + fmtTPs(ev.Revoked)
			if ev.Lost {
				line += " (lost)"
			}
		}
		c.h.events = append(c.h.events, line)
	case client.EventReset:
		c.h.events = append(c.h.events, fmt.Sprintf("%s: %s position %d -> %d (%s)", c.Name, ev.TP, ev.From, ev.To, ev.Reason))
	case client.EventCommit:
		if ev.Err == "" {
			c.Committed++
			return
		}
		c.h.events = append(c.h.events, fmt.Sprintf("%s: commit %s failed: %s", c.Name, fmtOffsets(ev.Offsets), ev.Err))
	case client.EventPoll:
		if ev.Err != "" {
			c.h.events = append(c.h.events, fmt.Sprintf("%s: poll failed: %s", c.Name, ev.Err))
		}
	}
}

func fmtTPs(tps []proto.TopicPartition) string {
	if len(tps) == 0 {
		return "[]"
	}
	s := make([]string, len(tps))
	for i, tp := range tps {
		s[i] = tp.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

func fmtOffsets(os []proto.OffsetCommitPartition) string {
	s := make([]string, len(os))
	for i, o := range os {
		s[i] = fmt.Sprintf("%s=%d", o.TopicPartition, o.CommittedOffset)
	}
	return strings.Join(s, " ")
}

// consumer NAME group=G (topics=A,B | partitions=T/0,T/1) [key=value ...]
func (h *Harness) consumer(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "one name")
	if err != nil {
		return "", err
	}
	cc, ac, err := h.consumerConfig(words[0], cmd)
	if err != nil {
		return "", err
	}
	cn := &ConsumerNode{Name: words[0], Cfg: cc, App: ac, h: h}
	id := firstClientID + node.ID(len(h.clients))
	if _, err := h.Sim.AddNodeWithID(id, words[0], sim.NodeConfig{Cores: 2}, func() node.Machine { return cn }); err != nil {
		return "", err
	}
	h.clients[words[0]] = id
	h.consumers[words[0]] = cn
	return "", h.Sim.StartNode(id)
}

// consumerConfig reads the consumer's and its application's settings from the
// arguments of the consumer command, over the harness's defaults (short timeouts,
// earliest reset).
func (h *Harness) consumerConfig(name string, cmd Command) (client.ConsumerConfig, client.AppConfig, error) {
	cc := client.DefaultConsumerConfig(cmd.Get("group", ""), h.Brokers...)
	cc.ClientID = name
	cc.SessionTimeout, cc.HeartbeatInterval, cc.MaxPollInterval = 10*time.Second, time.Second, 30*time.Second
	cc.AutoCommitInterval = time.Second
	cc.AutoOffsetReset = client.ResetEarliest
	cc.FetchMaxWait = 100 * time.Millisecond
	var ac client.AppConfig
	for _, a := range cmd.Args {
		if a.Value == "" {
			continue
		}
		var err error
		switch a.Key {
		case "group":
		case "topics":
			ac.Topics = strings.Split(a.Value, ",")
		case "partitions":
			for _, f := range strings.Split(a.Value, ",") {
				tp, perr := parseTP(f)
				if perr != nil {
					return cc, ac, perr
				}
				ac.Partitions = append(ac.Partitions, tp)
			}
		case "seek-to-beginning":
			ac.SeekToBeginning = a.Value == "true"
		case "mode":
			ac.Mode, err = client.ParseCommitMode(a.Value)
			if err == nil {
				cc.EnableAutoCommit = ac.Mode == client.CommitAuto || ac.Mode == client.CommitAsyncWorker
			}
		case "processing":
			var d time.Duration
			d, err = time.ParseDuration(a.Value)
			ac.ProcessingTime = fixedDuration(d)
		case "strategy":
			cc.PartitionAssignmentStrategy = strings.Split(a.Value, ",")
		case "reset":
			cc.AutoOffsetReset, err = client.ParseOffsetReset(a.Value)
		case "session":
			cc.SessionTimeout, err = time.ParseDuration(a.Value)
		case "heartbeat":
			cc.HeartbeatInterval, err = time.ParseDuration(a.Value)
		case "max-poll":
			cc.MaxPollInterval, err = time.ParseDuration(a.Value)
		case "auto-commit-interval":
			cc.AutoCommitInterval, err = time.ParseDuration(a.Value)
		case "max-poll-records":
			cc.MaxPollRecords, err = strconv.Atoi(a.Value)
		case "max-partition-fetch-bytes":
			var n int
			n, err = strconv.Atoi(a.Value)
			cc.MaxPartitionFetchBytes = int32(n)
		case "kip320":
			cc.TruncationDetection = a.Value == "true"
		default:
			return cc, ac, fmt.Errorf("consumer: unknown argument %q; accepted: group, topics, partitions, seek-to-beginning, mode, processing, strategy, reset, session, heartbeat, max-poll, auto-commit-interval, max-poll-records, max-partition-fetch-bytes, kip320", a.Key)
		}
		if err != nil {
			return cc, ac, fmt.Errorf("consumer %s=%s: %v", a.Key, a.Value, err)
		}
	}
	if err := cc.Validate(); err != nil {
		return cc, ac, fmt.Errorf("consumer %s: %v", name, err)
	}
	if err := ac.Validate(cc); err != nil {
		return cc, ac, fmt.Errorf("consumer %s: %v", name, err)
	}
	return cc, ac, nil
}

// fixedDuration is a constant processing time.
type fixedDuration time.Duration

// Sample returns the constant.
func (d fixedDuration) Sample(*rand.Rand) time.Duration { return time.Duration(d) }

// consumed NAME: what the consumer processed since the last consumed, per partition,
// as offset ranges with their values.
func (h *Harness) consumed(cmd Command) (string, error) {
	words := cmd.Words()
	if len(words) != 1 || h.consumers[words[0]] == nil {
		return "", fmt.Errorf("consumed wants a consumer name")
	}
	cn := h.consumers[words[0]]
	from := h.consumedPrinted[words[0]]
	if from > len(cn.Processed) {
		from = 0 // restarted: the list began again
	}
	recs := cn.Processed[from:]
	h.consumedPrinted[words[0]] = len(cn.Processed)
	if len(recs) == 0 {
		return "none", nil
	}
	var out []string
	for i := 0; i < len(recs); {
		j := i
		for j+1 < len(recs) && recs[j+1].TP == recs[i].TP && recs[j+1].Offset == recs[j].Offset+1 && recs[j+1].Value == recs[j].Value+1 {
			j++
		}
		if i == j {
			out = append(out, fmt.Sprintf("%s@%d: %d", recs[i].TP, recs[i].Offset, recs[i].Value))
		} else {
			out = append(out, fmt.Sprintf("%s@%d..%d: %d..%d", recs[i].TP, recs[i].Offset, recs[j].Offset, recs[i].Value, recs[j].Value))
		}
		i = j + 1
	}
	return strings.Join(out, "\n"), nil
}

// print-group GROUP: the coordinator's view.
func (h *Harness) printGroup(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "a group id")
	if err != nil {
		return "", err
	}
	for _, id := range h.Brokers {
		b := h.broker(id)
		if b == nil {
			continue
		}
		gi, ok := b.Group(words[0])
		if !ok {
			continue
		}
		p := group.PartitionFor(words[0], h.BrokerCfg.Group.OffsetsTopicNumPartitions)
		out := []string{fmt.Sprintf("coordinator b%d (%s/%d): %s generation %d protocol %s", id, proto.ConsumerOffsetsTopic, p, gi.State, gi.Generation, gi.Protocol)}
		for _, m := range gi.Members {
			lead := ""
			if m.MemberID == gi.Leader {
				lead = " (leader)"
			}
			out = append(out, fmt.Sprintf("  member %s%s: %s", m.ClientID, lead, fmtTPs(m.Assignment)))
		}
		var tps []proto.TopicPartition
		for tp := range gi.Offsets {
			tps = append(tps, tp)
		}
		slices.SortFunc(tps, func(a, b proto.TopicPartition) int { return strings.Compare(a.String(), b.String()) })
		for _, tp := range tps {
			o := gi.Offsets[tp]
			out = append(out, fmt.Sprintf("  committed %s=%d (epoch %d)", tp, o.Offset, o.LeaderEpoch))
		}
		return strings.Join(out, "\n"), nil
	}
	return "no coordinator has " + words[0], nil
}

// stop-consumer NAME
func (h *Harness) stopConsumer(cmd Command) (string, error) {
	words := cmd.Words()
	if len(words) != 1 || h.consumers[words[0]] == nil {
		return "", fmt.Errorf("stop-consumer wants a consumer name")
	}
	cn := h.consumers[words[0]]
	return "", h.Sim.Post(h.clients[words[0]], func() { cn.app.Stop(nil) })
}

// unconsumed TOPIC: values some producer got acknowledged that no consumer processed.
func (h *Harness) unconsumed(cmd Command) (string, error) {
	words, err := cmd.exactWords(1, "a topic")
	if err != nil {
		return "", err
	}
	seen := map[int64]bool{}
	for _, cn := range h.consumers {
		for _, r := range cn.Processed {
			seen[r.Value] = true
		}
	}
	var missing []int64
	for _, c := range h.clientObjs {
		for _, r := range c.Results {
			if r.Result.Outcome == client.OK && r.Result.TP.Topic == words[0] && !seen[r.Value] {
				missing = append(missing, r.Value)
			}
		}
	}
	if len(missing) == 0 {
		return "none", nil
	}
	slices.Sort(missing)
	var parts []string
	for i := 0; i < len(missing); {
		j := i
		for j+1 < len(missing) && missing[j+1] == missing[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.FormatInt(missing[i], 10))
		} else {
			parts = append(parts, fmt.Sprintf("%d..%d", missing[i], missing[j]))
		}
		i = j + 1
	}
	return fmt.Sprintf("%d values: %s", len(missing), strings.Join(parts, ",")), nil
}

package simtest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"logsim/broker"
	"logsim/broker/client"
	"logsim/broker/controller"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/sim"
)

// ControllerID is the controller's node id; brokers are 1..N.
const ControllerID node.ID = 0

// firstClientID is the first client node id.
const firstClientID node.ID = 100

// Harness is a cluster on the simulator that scripts drive.
type Harness struct {
	Sim        *sim.Sim
	BrokerCfg  broker.Config
	CtlCfg     controller.Config
	Brokers    []node.ID
	clients    map[string]node.ID
	clientObjs map[node.ID]*Client
	// consumers are the consumer applications by name, and how much of each one's
	// processed records "consumed" printed.
	consumers       map[string]*ConsumerNode
	consumedPrinted map[string]int
	printed         map[node.ID]int
	events          []string
	parts           []sim.PartitionID
	adminCorr       int64
	trace           *traceBuffer
}

// traceBuffer keeps the simulator's trace lines while capturing (the step command).
type traceBuffer struct {
	capture bool
	buf     []byte
}

func (t *traceBuffer) Write(p []byte) (int, error) {
	if t.capture {
		t.buf = append(t.buf, p...)
	}
	return len(p), nil
}

// Observe collects the brokers' observations (leader changes, truncations, log start).
func (h *Harness) Observe(o broker.Observation) {
	switch o.Kind {
	case broker.ObserveLeader:
		h.events = append(h.events, fmt.Sprintf("event: b%d leads %s in epoch %d", o.Node, o.TP, o.Epoch))
	case broker.ObserveTruncate:
		if o.Removed < 0 {
			h.events = append(h.events, fmt.Sprintf("event: b%d recovered %s: %d damaged batches dropped, log end %d", o.Node, o.TP, -o.Removed, o.Offset))
			return
		}
		h.events = append(h.events, fmt.Sprintf("event: b%d truncated %s to %d (%d records removed)", o.Node, o.TP, o.Offset, o.Removed))
	case broker.ObserveLogStart:
		h.events = append(h.events, fmt.Sprintf("event: b%d log start of %s moved to %d", o.Node, o.TP, o.Offset))
	}
}

// NewHarness builds a cluster: a controller and n brokers, started, registered and
// unfenced. Options are the cluster command's arguments.
func NewHarness(cmd Command) (*Harness, error) {
	n, err := intArg(cmd, "brokers", 3)
	if err != nil {
		return nil, err
	}
	seed, err := intArg(cmd, "seed", 1)
	if err != nil {
		return nil, err
	}
	netcfg := sim.NetworkConfig{Latency: sim.ConstantLatency(time.Millisecond)}
	disk := sim.DiskProfile{OpLatency: sim.ConstantLatency(50 * time.Microsecond), SyncLatency: sim.ConstantLatency(time.Millisecond)}
	if v := cmd.Get("torn", ""); v != "" {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("torn=%s: want a probability", v)
		}
		disk.TornWriteProbability = p
	}
	trace := &traceBuffer{}
	s, err := sim.New(sim.Config{Seed: uint64(seed), Network: netcfg, Trace: trace})
	if err != nil {
		return nil, err
	}
	h := &Harness{Sim: s, trace: trace, BrokerCfg: broker.DefaultConfig(), CtlCfg: controller.DefaultConfig(),
		clients: map[string]node.ID{}, clientObjs: map[node.ID]*Client{},
		consumers: map[string]*ConsumerNode{}, consumedPrinted: map[string]int{}, printed: map[node.ID]int{}}
	h.BrokerCfg.Controller = ControllerID
	// A small __consumer_offsets keeps scripts readable (Kafka's default is 50).
	h.BrokerCfg.Group.OffsetsTopicNumPartitions = 3
	if err := h.applyClusterArgs(cmd); err != nil {
		return nil, err
	}
	ctlCfg := h.CtlCfg
	if _, err := s.AddNodeWithID(ControllerID, "controller", sim.NodeConfig{Disk: disk}, func() node.Machine { return controller.New(ctlCfg) }); err != nil {
		return nil, err
	}
	bcfg := h.BrokerCfg
	for i := 1; i <= n; i++ {
		id, err := s.AddNodeWithID(node.ID(i), "b"+strconv.Itoa(i), sim.NodeConfig{Cores: 4, Disk: disk}, func() node.Machine {
			b := broker.New(bcfg)
			b.SetObserver(h)
			return b
		})
		if err != nil {
			return nil, err
		}
		h.Brokers = append(h.Brokers, id)
	}
	if _, err := h.addClient("admin", nil); err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	ok, err := s.RunUntil(10*time.Second, func() bool {
		for _, id := range h.Brokers {
			b := h.broker(id)
			if b == nil || !b.Registered() {
				return false
			}
		}
		st := h.controller().State()
		for _, b := range st.Brokers() {
			if b.Fenced {
				return false
			}
		}
		return len(st.Brokers()) == n
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("brokers did not register within 10s")
	}
	return h, nil
}

func (h *Harness) applyClusterArgs(cmd Command) error {
	for _, a := range cmd.Args {
		var err error
		switch a.Key {
		case "brokers", "seed", "torn":
		case "offsets-partitions":
			var n int
			n, err = strconv.Atoi(a.Value)
			h.BrokerCfg.Group.OffsetsTopicNumPartitions = int32(n)
		case "initial-rebalance-delay":
			h.BrokerCfg.Group.GroupInitialRebalanceDelay, err = time.ParseDuration(a.Value)
		case "unclean":
			h.CtlCfg.UncleanLeaderElectionEnable = a.Value == "true"
		case "elr":
			h.CtlCfg.EligibleLeaderReplicasEnable = a.Value == "true"
			h.BrokerCfg.EligibleLeaderReplicasEnable = a.Value == "true"
		case "min-isr":
			var n int
			n, err = strconv.Atoi(a.Value)
			h.BrokerCfg.MinInsyncReplicas, h.CtlCfg.MinInsyncReplicas = n, n
		case "lag":
			h.BrokerCfg.ReplicaLagTimeMax, err = time.ParseDuration(a.Value)
		case "session":
			h.CtlCfg.BrokerSessionTimeout, err = time.ParseDuration(a.Value)
		case "retention-check":
			h.BrokerCfg.LogRetentionCheckInterval, err = time.ParseDuration(a.Value)
		case "rebalance":
			if a.Value == "off" {
				h.CtlCfg.AutoLeaderRebalanceEnable = false
				break
			}
			h.CtlCfg.LeaderImbalanceCheckInterval, err = time.ParseDuration(a.Value)
		default:
			return fmt.Errorf("cluster: unknown argument %q; accepted: brokers, seed, torn, unclean, elr, min-isr, lag, session, retention-check, rebalance, offsets-partitions, initial-rebalance-delay", a.Key)
		}
		if err != nil {
			return fmt.Errorf("cluster %s=%s: %v", a.Key, a.Value, err)
		}
	}
	return nil
}

func intArg(cmd Command, key string, def int) (int, error) {
	v := cmd.Get(key, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%s: want an integer", key, v)
	}
	return n, nil
}

func (h *Harness) addClient(name string, pcfg *client.ProducerConfig) (node.ID, error) {
	id := firstClientID + node.ID(len(h.clients))
	c := &Client{ProducerConfig: pcfg}
	if _, err := h.Sim.AddNodeWithID(id, name, sim.NodeConfig{Cores: 1}, func() node.Machine {
		c.Producer = nil
		return c
	}); err != nil {
		return node.None, err
	}
	h.clients[name] = id
	h.clientObjs[id] = c
	return id, nil
}

// Broker returns broker id's live Machine, nil while it is down.
func (h *Harness) Broker(id node.ID) *broker.Broker { return h.broker(id) }

// Client returns the client node called name, nil if there is none.
func (h *Harness) Client(name string) *Client {
	id, ok := h.clients[name]
	if !ok {
		return nil
	}
	return h.clientObjs[id]
}

// Controller returns the controller's live Machine, nil while it is down.
func (h *Harness) Controller() *controller.Controller { return h.controller() }

func (h *Harness) broker(id node.ID) *broker.Broker {
	m, _ := h.Sim.Machine(id).(*broker.Broker)
	return m
}

func (h *Harness) controller() *controller.Controller {
	m, _ := h.Sim.Machine(ControllerID).(*controller.Controller)
	return m
}

// node resolves a node name (b1, controller, a client's name).
func (h *Harness) node(name string) (node.ID, error) {
	return h.Sim.Lookup(name)
}

func (h *Harness) nodes(names []string) ([]node.ID, error) {
	var ids []node.ID
	for _, n := range names {
		id, err := h.node(n)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// drainEvents returns the observations since the last call, one per line.
func (h *Harness) drainEvents() string {
	out := strings.Join(h.events, "\n")
	h.events = nil
	return out
}

// run advances virtual time by d and reports what happened.
func (h *Harness) run(d time.Duration) (string, error) {
	if err := h.Sim.RunFor(d); err != nil {
		return "", err
	}
	return h.drainEvents(), nil
}

// adminRequest sends m from the admin client to `to` and runs until a response
// arrives (at most 10s of virtual time).
func (h *Harness) adminRequest(to node.ID, m node.Message) (node.Message, error) {
	id := h.clients["admin"]
	c := h.clientObjs[id]
	c.Responses = nil
	if err := h.Sim.Post(id, func() { c.env.Send(to, m) }); err != nil {
		return nil, err
	}
	ok, err := h.Sim.RunUntil(h.Sim.Now()+10*time.Second, func() bool { return len(c.Responses) > 0 })
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no response from %s within 10s", h.Sim.Name(to))
	}
	return c.Responses[0], nil
}

func (h *Harness) nextCorr() int64 {
	h.adminCorr++
	return h.adminCorr
}

func parseTP(s string) (proto.TopicPartition, error) { return proto.ParseTopicPartition(s) }

func fmtIDs(ids []int32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(int(id))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// RunHarnessScript runs a harness script (text read from path) and returns it with
// the actual outputs (see RunScript). Its first command is `cluster [brokers=3]
// [seed=1] [torn=P] [unclean=true] [elr=true] [min-isr=N] [lag=D] [session=D]
// [retention-check=D] [rebalance=D|off]`, which builds the cluster the other commands
// act on.
func RunHarnessScript(t *testing.T, path, text string) string {
	var h *Harness
	return RunScript(t, path, text, func(cmd Command) (string, error) {
		if cmd.Name == "cluster" {
			var err error
			h, err = NewHarness(cmd)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("controller=%d brokers=%d t=%v", ControllerID, len(h.Brokers), h.Sim.Now()), nil
		}
		if h == nil {
			return "", fmt.Errorf("the first command must be cluster")
		}
		return h.Run(cmd)
	})
}

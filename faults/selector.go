package faults

import (
	"fmt"
	"math/rand/v2"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"logsim/broker/node"
)

// SelectorSyntax lists the accepted forms of a target selector.
const SelectorSyntax = "broker-N | brokers | controller | leader(TOPIC/P) | followers(TOPIC/P) | " +
	"replicas(TOPIC/P) | random | random(K) | clients | NAME (every instance of a producer or consumer) | NAME-I (one instance)"

// SelectorKind says what a Selector picks.
type SelectorKind uint8

// The selector kinds.
const (
	// SelBroker is broker-N: the broker with node.id N.
	SelBroker SelectorKind = iota + 1
	// SelBrokers is every broker.
	SelBrokers
	// SelController is the controller.
	SelController
	// SelLeader is the current leader of a partition, when the fault fires.
	SelLeader
	// SelFollowers is a partition's replicas other than its current leader.
	SelFollowers
	// SelReplicas is every replica of a partition.
	SelReplicas
	// SelRandom is Count distinct brokers drawn from the seed when the fault fires.
	SelRandom
	// SelClients is every producer and consumer instance.
	SelClients
	// SelClient is the producer or consumer Client: one instance, or all of them when
	// Instance is -1.
	SelClient
)

// Selector picks fault targets. Parse it from its text form (SelectorSyntax); resolve
// it when the fault fires with Resolve.
type Selector struct {
	Kind      SelectorKind
	Broker    int    // SelBroker
	Topic     string // SelLeader, SelFollowers, SelReplicas
	Partition int32  // SelLeader, SelFollowers, SelReplicas
	Count     int    // SelRandom
	Client    string // SelClient
	Instance  int    // SelClient: the 0-based instance, or -1 for all
}

var (
	brokerRe = regexp.MustCompile(`^broker-([0-9]+)$`)
	clientRe = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_.-]*?)(-([0-9]+))?$`)
	nameRe   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]*$`)
)

// Reserved are the words a producer or consumer may not be named, because selectors
// give them a meaning.
var Reserved = []string{"brokers", "controller", "random", "clients", "leader", "followers", "replicas", "broker"}

var instanceSuffix = regexp.MustCompile(`-[0-9]+$`)

// CheckName reports whether name can name a producer or consumer that selectors reach:
// a letter, then letters, digits, '_', '.' or '-'; not a reserved word; not ending in
// -DIGITS, which selects one instance (p-0 is instance 0 of p).
func CheckName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("%q is not a name; accepted: a letter, then letters, digits, '_', '.' or '-'", name)
	}
	if slices.Contains(Reserved, name) {
		return fmt.Errorf("%q is reserved for selectors (%s)", name, strings.Join(Reserved, ", "))
	}
	if instanceSuffix.MatchString(name) {
		return fmt.Errorf("%q ends in -DIGITS, which a selector reads as one instance; accepted: a name such as %s",
			name, strings.TrimRight(name, "-0123456789")+"_"+name[strings.LastIndexByte(name, '-')+1:])
	}
	return nil
}

// ParseSelector reads one selector in a form of SelectorSyntax.
func ParseSelector(s string) (Selector, error) {
	sel, err := parseSelector(strings.TrimSpace(s))
	if err != nil {
		return Selector{}, fmt.Errorf("%v; accepted: %s", err, SelectorSyntax)
	}
	return sel, nil
}

func parseSelector(s string) (Selector, error) {
	switch s {
	case "brokers":
		return Selector{Kind: SelBrokers}, nil
	case "controller":
		return Selector{Kind: SelController}, nil
	case "random":
		return Selector{Kind: SelRandom, Count: 1}, nil
	case "clients":
		return Selector{Kind: SelClients}, nil
	}
	if m := brokerRe.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 1<<20 {
			return Selector{}, fmt.Errorf("%q: broker number out of range", s)
		}
		return Selector{Kind: SelBroker, Broker: n}, nil
	}
	if open := strings.IndexByte(s, '('); open >= 0 {
		if !strings.HasSuffix(s, ")") {
			return Selector{}, fmt.Errorf("%q: missing closing parenthesis", s)
		}
		name, arg := s[:open], strings.TrimSpace(s[open+1:len(s)-1])
		switch name {
		case "random":
			k, err := strconv.Atoi(arg)
			if err != nil || k < 1 || k > 1<<20 {
				return Selector{}, fmt.Errorf("%q: random(K) needs a count K >= 1", s)
			}
			return Selector{Kind: SelRandom, Count: k}, nil
		case "leader", "followers", "replicas":
			topic, part, err := ParsePartition(arg)
			if err != nil {
				return Selector{}, fmt.Errorf("%s(...): %v", name, err)
			}
			kind := map[string]SelectorKind{"leader": SelLeader, "followers": SelFollowers, "replicas": SelReplicas}[name]
			return Selector{Kind: kind, Topic: topic, Partition: part}, nil
		}
		return Selector{}, fmt.Errorf("unknown selector %q", name)
	}
	if m := clientRe.FindStringSubmatch(s); m != nil {
		if slices.Contains(Reserved, m[1]) {
			return Selector{}, fmt.Errorf("unknown selector %q", s)
		}
		sel := Selector{Kind: SelClient, Client: m[1], Instance: -1}
		if m[3] != "" {
			i, err := strconv.Atoi(m[3])
			if err != nil || i > 1<<20 {
				return Selector{}, fmt.Errorf("%q: instance number out of range", s)
			}
			sel.Instance = i
		}
		return sel, nil
	}
	return Selector{}, fmt.Errorf("unknown selector %q", s)
}

// ParsePartition reads "TOPIC/P" (such as orders/0).
func ParsePartition(s string) (string, int32, error) {
	k := strings.LastIndexByte(s, '/')
	if k <= 0 {
		return "", 0, fmt.Errorf("%q is not a partition; accepted: TOPIC/P such as orders/0", s)
	}
	p, err := strconv.ParseInt(s[k+1:], 10, 32)
	if err != nil || p < 0 {
		return "", 0, fmt.Errorf("%q: partition number %q is not a number >= 0", s, s[k+1:])
	}
	return s[:k], int32(p), nil
}

// String prints the selector's text form.
func (s Selector) String() string {
	switch s.Kind {
	case SelBroker:
		return "broker-" + strconv.Itoa(s.Broker)
	case SelBrokers:
		return "brokers"
	case SelController:
		return "controller"
	case SelLeader:
		return fmt.Sprintf("leader(%s/%d)", s.Topic, s.Partition)
	case SelFollowers:
		return fmt.Sprintf("followers(%s/%d)", s.Topic, s.Partition)
	case SelReplicas:
		return fmt.Sprintf("replicas(%s/%d)", s.Topic, s.Partition)
	case SelRandom:
		if s.Count == 1 {
			return "random"
		}
		return fmt.Sprintf("random(%d)", s.Count)
	case SelClients:
		return "clients"
	case SelClient:
		if s.Instance >= 0 {
			return s.Client + "-" + strconv.Itoa(s.Instance)
		}
		return s.Client
	}
	return ""
}

// MarshalText prints the selector's text form.
func (s Selector) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a form of SelectorSyntax.
func (s *Selector) UnmarshalText(b []byte) error {
	v, err := ParseSelector(string(b))
	if err == nil {
		*s = v
	}
	return err
}

// Cluster is what selectors need to know about the running cluster when a fault fires.
// The runner implements it over the simulated cluster's current state.
type Cluster interface {
	// Brokers lists every broker's ID, in node.id order, up or down.
	Brokers() []node.ID
	// Broker is the ID of the broker with node.id n.
	Broker(n int) (node.ID, bool)
	// Controller is the controller's ID.
	Controller() node.ID
	// Leader is the current leader of topic/partition as the controller sees it, or
	// node.None while it has none.
	Leader(topic string, partition int32) node.ID
	// Replicas lists the assigned replicas of topic/partition (nil if there is no such
	// partition).
	Replicas(topic string, partition int32) []node.ID
	// Clients lists the instances of the producer or consumer named name, in instance
	// order (nil if there is none).
	Clients(name string) []node.ID
	// AllClients lists every producer and consumer instance.
	AllClients() []node.ID
}

// Resolve returns the nodes the selector picks now. Random picks draw from r.
func (s Selector) Resolve(c Cluster, r *rand.Rand) ([]node.ID, error) {
	switch s.Kind {
	case SelBroker:
		id, ok := c.Broker(s.Broker)
		if !ok {
			return nil, fmt.Errorf("%s: no such broker", s)
		}
		return []node.ID{id}, nil
	case SelBrokers:
		return c.Brokers(), nil
	case SelController:
		return []node.ID{c.Controller()}, nil
	case SelLeader:
		if c.Replicas(s.Topic, s.Partition) == nil {
			return nil, fmt.Errorf("%s: no such partition", s)
		}
		if l := c.Leader(s.Topic, s.Partition); l != node.None {
			return []node.ID{l}, nil
		}
		return nil, nil // no leader right now: nothing to target
	case SelFollowers, SelReplicas:
		reps := c.Replicas(s.Topic, s.Partition)
		if reps == nil {
			return nil, fmt.Errorf("%s: no such partition", s)
		}
		if s.Kind == SelReplicas {
			return slices.Clone(reps), nil
		}
		l := c.Leader(s.Topic, s.Partition)
		var out []node.ID
		for _, id := range reps {
			if id != l {
				out = append(out, id)
			}
		}
		return out, nil
	case SelRandom:
		all := c.Brokers()
		if s.Count > len(all) {
			return nil, fmt.Errorf("%s: only %d brokers", s, len(all))
		}
		pool := slices.Clone(all)
		for i := 0; i < s.Count; i++ {
			j := i + r.IntN(len(pool)-i)
			pool[i], pool[j] = pool[j], pool[i]
		}
		out := pool[:s.Count]
		slices.Sort(out)
		return out, nil
	case SelClients:
		return c.AllClients(), nil
	case SelClient:
		ids := c.Clients(s.Client)
		if ids == nil {
			return nil, fmt.Errorf("%s: no producer or consumer named %q", s, s.Client)
		}
		if s.Instance < 0 {
			return slices.Clone(ids), nil
		}
		if s.Instance >= len(ids) {
			return nil, fmt.Errorf("%s: %q has only %d instances", s, s.Client, len(ids))
		}
		return []node.ID{ids[s.Instance]}, nil
	}
	return nil, fmt.Errorf("empty selector")
}

// Selectors is a list of selectors; in a scenario file a single selector may stand for
// a list of one.
type Selectors []Selector

// Resolve returns the union of the nodes the selectors pick, in first-seen order.
func (ss Selectors) Resolve(c Cluster, r *rand.Rand) ([]node.ID, error) {
	var out []node.ID
	for _, s := range ss {
		ids, err := s.Resolve(c, r)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// String prints the list as "a, b".
func (ss Selectors) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// pathMatch is path.Match; a separate name keeps the glob check readable where it is used.
func pathMatch(pattern, name string) (bool, error) { return path.Match(pattern, name) }

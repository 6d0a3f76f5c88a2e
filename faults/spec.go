package faults

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Kind names a fault.
type Kind string

// The fault kinds.
const (
	// Partition cuts the network: isolate some nodes, split by a topology (halves,
	// majorities-ring, bridge), or cut from one set of nodes to another (one.way for a
	// one-way cut).
	Partition Kind = "partition"
	// Clog holds every message on the chosen links (delivered, in order, when it ends).
	Clog Kind = "clog"
	// Latency adds a fixed delay to every message on the chosen links.
	Latency Kind = "latency"
	// Reset resets the chosen connections once (in-flight messages are lost).
	Reset Kind = "reset"
	// Crash kills the target processes (power.loss: the machines lose power, and
	// unsynced writes with them); they restart when the fault ends.
	Crash Kind = "crash"
	// Pause stops the target processes (SIGSTOP, a long GC pause); they resume when the
	// fault ends.
	Pause Kind = "pause"
	// ClockSkew jumps the targets' clocks by jump and/or makes them drift; the clocks are
	// set right when the fault ends.
	ClockSkew Kind = "clock-skew"
	// DiskSlow adds latency to every disk operation of the targets.
	DiskSlow Kind = "disk-slow"
	// DiskFull makes the targets' disks full: appends fail until the fault ends.
	DiskFull Kind = "disk-full"
	// DiskCorrupt corrupts entries of the targets' files once (detected by checksum).
	DiskCorrupt Kind = "disk-corrupt"
	// DiskError makes disk operations of the targets fail with an I/O error with the
	// given probability.
	DiskError Kind = "disk-error"
	// SlowConsumer adds processing time to every record the target consumers handle.
	SlowConsumer Kind = "slow-consumer"
	// StallConsumer makes the target consumers stop polling (they still heartbeat).
	StallConsumer Kind = "stall-consumer"
	// StopClient stops the target producers or consumers; they start again (as new
	// processes) when the fault ends.
	StopClient Kind = "stop-client"
	// Nemesis draws a fault from mix every `every`, with random targets, from the seed.
	Nemesis Kind = "nemesis"
)

// kindInfo says which fields a kind uses, which it needs, and whether it is a one-off
// action with no duration.
type kindInfo struct {
	fields   []string // allowed keys beyond the schedule keys
	instant  bool     // no stop action; `for` does not apply
	needs    []string // required keys (one of a group separated by '|')
	nemesis  bool     // may appear in a nemesis mix
	doc      string
	clientsT bool // targets are clients
}

var kinds = map[Kind]kindInfo{
	Partition:     {fields: []string{"isolate", "topology", "from", "to", "one.way", "clients"}, needs: []string{"isolate|topology|from"}, nemesis: true},
	Clog:          {fields: []string{"target", "from", "to", "one.way"}, needs: []string{"target|from"}, nemesis: true},
	Latency:       {fields: []string{"target", "from", "to", "one.way", "latency"}, needs: []string{"target|from", "latency"}, nemesis: true},
	Reset:         {fields: []string{"target", "from", "to"}, needs: []string{"target|from"}, instant: true, nemesis: true},
	Crash:         {fields: []string{"target", "power.loss"}, needs: []string{"target"}, nemesis: true},
	Pause:         {fields: []string{"target"}, needs: []string{"target"}, nemesis: true},
	ClockSkew:     {fields: []string{"target", "jump", "drift"}, needs: []string{"target", "jump|drift"}, nemesis: true},
	DiskSlow:      {fields: []string{"target", "latency"}, needs: []string{"target", "latency"}, nemesis: true},
	DiskFull:      {fields: []string{"target"}, needs: []string{"target"}},
	DiskCorrupt:   {fields: []string{"target", "files", "entries"}, needs: []string{"target"}, instant: true},
	DiskError:     {fields: []string{"target", "files", "probability"}, needs: []string{"target", "probability"}},
	SlowConsumer:  {fields: []string{"target", "processing"}, needs: []string{"target", "processing"}, clientsT: true},
	StallConsumer: {fields: []string{"target"}, needs: []string{"target"}, clientsT: true},
	StopClient:    {fields: []string{"target"}, needs: []string{"target"}, clientsT: true},
	Nemesis:       {fields: []string{"mix", "target", "power.loss"}, needs: []string{"mix", "every"}},
}

// Kinds lists every fault kind, sorted.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func kindList(filter func(kindInfo) bool) string {
	var names []string
	for _, k := range Kinds() {
		if filter == nil || filter(kinds[k]) {
			names = append(names, string(k))
		}
	}
	return strings.Join(names, ", ")
}

// UnmarshalText accepts a known kind.
func (k *Kind) UnmarshalText(b []byte) error {
	v := Kind(strings.TrimSpace(string(b)))
	if _, ok := kinds[v]; !ok {
		return fmt.Errorf("unknown fault kind %q; accepted: %s", v, kindList(nil))
	}
	*k = v
	return nil
}

// Instant reports whether the kind is a one-off action with no duration.
func (k Kind) Instant() bool { return kinds[k].instant }

// TargetsClients reports whether the kind's targets are producers or consumers.
func (k Kind) TargetsClients() bool { return kinds[k].clientsT }

// Topology is a named way of splitting the brokers and the controller (Jepsen's
// partition kinds).
type Topology string

// The topologies.
const (
	// Halves splits the nodes into two random halves (the larger half first).
	Halves Topology = "halves"
	// MajoritiesRing cuts links so that every node sees a majority, but no two nodes
	// see the same majority.
	MajoritiesRing Topology = "majorities-ring"
	// Bridge splits the nodes into two halves but keeps one node connected to both.
	Bridge Topology = "bridge"
)

// UnmarshalText accepts a known topology.
func (t *Topology) UnmarshalText(b []byte) error {
	v := Topology(strings.TrimSpace(string(b)))
	switch v {
	case Halves, MajoritiesRing, Bridge:
		*t = v
		return nil
	}
	return fmt.Errorf("unknown topology %q; accepted: halves, majorities-ring, bridge", v)
}

// ClientSide says where the producers and consumers are during an isolating partition.
type ClientSide string

// The client sides.
const (
	// ClientsBoth (the default) keeps clients connected to every node: only brokers and
	// the controller are cut from each other, so clients can still reach an isolated
	// leader (Jepsen's Kafka test: producers on the old leader's side keep producing).
	ClientsBoth ClientSide = "both"
	// ClientsIsolated puts every client with the isolated nodes.
	ClientsIsolated ClientSide = "isolated"
	// ClientsRest puts every client with the rest of the cluster.
	ClientsRest ClientSide = "rest"
)

// UnmarshalText accepts a known client side.
func (c *ClientSide) UnmarshalText(b []byte) error {
	v := ClientSide(strings.TrimSpace(string(b)))
	switch v {
	case ClientsBoth, ClientsIsolated, ClientsRest:
		*c = v
		return nil
	}
	return fmt.Errorf("unknown client side %q; accepted: both, isolated, rest", v)
}

// Spec is one entry of a scenario's fault list. Which fields apply depends on Kind; the
// schedule fields (at, for, every, times) apply to all.
type Spec struct {
	Name  string        `yaml:"name,omitempty" doc:"label in the history's fault events; default KIND-INDEX (partition-0)"`
	Kind  Kind          `yaml:"kind" doc:"partition | clog | latency | reset | crash | pause | clock-skew | disk-slow | disk-full | disk-corrupt | disk-error | slow-consumer | stall-consumer | stop-client | nemesis"`
	At    time.Duration `yaml:"at,omitempty" doc:"when the fault (first) starts, from the start of the run"`
	For   time.Duration `yaml:"for,omitempty" doc:"how long each occurrence lasts (crash: the restart delay); 0 = until the heal phase"`
	Every time.Duration `yaml:"every,omitempty" doc:"repeat period (0 = once); each occurrence must end before the next starts"`
	Times int           `yaml:"times,omitempty" doc:"number of occurrences with every (0 = until the load phase ends)"`

	Target   Selectors  `yaml:"target,omitempty" doc:"the nodes or clients the fault hits (selector or list of selectors)"`
	Isolate  Selectors  `yaml:"isolate,omitempty" doc:"partition: nodes cut off from all other brokers and the controller"`
	Topology Topology   `yaml:"topology,omitempty" doc:"partition: halves | majorities-ring | bridge, over the brokers and the controller, drawn from the seed"`
	From     Selectors  `yaml:"from,omitempty" doc:"partition, clog, latency, reset: one side of the cut links"`
	To       Selectors  `yaml:"to,omitempty" doc:"partition, clog, latency, reset: the other side (default: every other node)"`
	OneWay   bool       `yaml:"one.way,omitempty" doc:"partition, clog, latency: affect only messages from -> to"`
	Clients  ClientSide `yaml:"clients,omitempty" doc:"partition with isolate or topology: both (clients reach every node; default) | isolated (clients join the isolated side or the first group) | rest"`

	Latency     time.Duration `yaml:"latency,omitempty" doc:"latency: delay added to each message; disk-slow: delay added to each disk operation"`
	PowerLoss   bool          `yaml:"power.loss,omitempty" doc:"crash, nemesis crashes: lose power (unsynced writes are lost) instead of a process crash"`
	Jump        time.Duration `yaml:"jump,omitempty" doc:"clock-skew: step the clock by this much (negative goes back)"`
	Drift       float64       `yaml:"drift,omitempty" doc:"clock-skew: clock rate error (0.01 gains 10ms per second)"`
	Files       string        `yaml:"files,omitempty" doc:"disk-corrupt, disk-error: glob over the node's file names (default: every file)"`
	Entries     int           `yaml:"entries,omitempty" doc:"disk-corrupt: number of entries corrupted (default 1), the last ones of the chosen files"`
	Probability float64       `yaml:"probability,omitempty" doc:"disk-error: chance in (0, 1] that each disk operation fails"`
	Processing  time.Duration `yaml:"processing,omitempty" doc:"slow-consumer: processing time added to each record"`
	Mix         []Kind        `yaml:"mix,omitempty" doc:"nemesis: the kinds to draw from (partition, clog, latency, reset, crash, pause, clock-skew, disk-slow)"`
}

// scheduleKeys apply to every kind.
var scheduleKeys = []string{"name", "kind", "at", "for", "every", "times"}

// FieldError is a problem with one field of a Spec, named by its scenario-file key.
type FieldError struct {
	Field string
	Msg   string
}

// Error prints "field: message".
func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// fieldValues maps each yaml key of Spec to its value.
func (s *Spec) fieldValues() map[string]reflect.Value {
	out := map[string]reflect.Value{}
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		out[key] = v.Field(i)
	}
	return out
}

// Validate checks one fault on its own: the kind's fields, durations and parameters.
// Whether its selectors name real brokers, partitions and clients is for the caller,
// which knows the cluster.
func (s *Spec) Validate() []FieldError {
	var errs []FieldError
	bad := func(field, format string, a ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, a...)})
	}
	info, ok := kinds[s.Kind]
	if !ok {
		if s.Kind == "" {
			bad("kind", "missing; accepted: %s", kindList(nil))
		} else {
			bad("kind", "unknown fault kind %q; accepted: %s", s.Kind, kindList(nil))
		}
		return errs
	}
	vals := s.fieldValues()
	for _, key := range slices.Sorted(maps.Keys(vals)) {
		if slices.Contains(scheduleKeys, key) || slices.Contains(info.fields, key) {
			continue
		}
		if !vals[key].IsZero() {
			bad(key, "does not apply to kind %s; it accepts: %s", s.Kind, strings.Join(append(slices.Clone(scheduleKeys[2:]), info.fields...), ", "))
		}
	}
	for _, need := range info.needs {
		found := false
		for _, alt := range strings.Split(need, "|") {
			if !vals[alt].IsZero() {
				found = true
			}
		}
		if !found {
			bad(strings.Split(need, "|")[0], "kind %s needs %s", s.Kind, strings.ReplaceAll(need, "|", " or "))
		}
	}
	if s.At < 0 {
		bad("at", "%v is negative", s.At)
	}
	if s.For < 0 {
		bad("for", "%v is negative", s.For)
	}
	if info.instant && s.For != 0 {
		bad("for", "kind %s is a one-off action and has no duration", s.Kind)
	}
	if s.Every < 0 {
		bad("every", "%v is negative", s.Every)
	}
	if s.Times < 0 {
		bad("times", "%d is negative", s.Times)
	}
	if s.Times > 0 && s.Every == 0 {
		bad("times", "needs every (the period between occurrences)")
	}
	if s.Every > 0 && s.For >= s.Every {
		bad("for", "%v is not shorter than every (%v): occurrences would overlap", s.For, s.Every)
	}
	if s.Every > 0 && s.For == 0 && !info.instant {
		bad("for", "a repeated fault needs a duration shorter than every (%v)", s.Every)
	}
	set := 0
	for _, k := range []string{"isolate", "topology", "from"} {
		if !vals[k].IsZero() {
			set++
		}
	}
	if s.Kind == Partition && set > 1 {
		bad("isolate", "give one of isolate, topology or from")
	}
	if len(s.Target) > 0 && len(s.From) > 0 {
		bad("from", "give target or from/to, not both")
	}
	if len(s.To) > 0 && len(s.From) == 0 {
		bad("to", "needs from")
	}
	if s.Clients != "" && s.Topology == MajoritiesRing {
		bad("clients", "does not apply to majorities-ring: clients stay connected to every node")
	}
	if s.Clients != "" && s.Kind == Partition && len(s.From) > 0 {
		bad("clients", "does not apply to a from/to partition: name clients in from or to")
	}
	if s.Latency < 0 {
		bad("latency", "%v is negative", s.Latency)
	}
	if s.Drift <= -1 || s.Drift != s.Drift || s.Drift > 100 {
		bad("drift", "%v is out of range; accepted: a rate error above -1, such as 0.01", s.Drift)
	}
	if s.Entries < 0 {
		bad("entries", "%d is negative", s.Entries)
	}
	if s.Probability < 0 || s.Probability > 1 || s.Probability != s.Probability {
		bad("probability", "%v is not in (0, 1]", s.Probability)
	}
	if s.Processing < 0 {
		bad("processing", "%v is negative", s.Processing)
	}
	if s.Files != "" {
		if _, err := pathMatch(s.Files, ""); err != nil {
			bad("files", "%q is not a glob pattern", s.Files)
		}
	}
	for _, sel := range append(append(append(append(Selectors{}, s.Target...), s.Isolate...), s.From...), s.To...) {
		isClient := sel.Kind == SelClient || sel.Kind == SelClients
		if info.clientsT && !isClient {
			bad("target", "kind %s targets producers or consumers by name, not %s", s.Kind, sel)
		}
		if isClient && strings.HasPrefix(string(s.Kind), "disk-") {
			bad("target", "kind %s hits a node's disk; producers and consumers have none (%s)", s.Kind, sel)
		}
		if s.Kind == Nemesis && isClient {
			bad("target", "a nemesis draws its targets among brokers and the controller, not %s", sel)
		}
	}
	for _, m := range s.Mix {
		if mi, ok := kinds[m]; !ok || !mi.nemesis {
			bad("mix", "%q cannot be drawn by a nemesis; accepted: %s", m, kindList(func(k kindInfo) bool { return k.nemesis }))
		}
	}
	return errs
}

// Label is the fault's name in history events: Name, or KIND-INDEX.
func (s *Spec) Label(index int) string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("%s-%d", s.Kind, index)
}

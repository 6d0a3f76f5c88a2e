package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// OpenMessaging Benchmark (OMB) files, mapped onto a scenario.
//
// A workload file says what load to apply: topics × partitionsPerTopic, producers
// per topic sending producerRate messages per second in all, subscriptions
// (consumer groups) per topic with consumers each, for testDurationMinutes. A Kafka
// driver file says how the clients and topics are configured, as Java properties
// text. logsim runs the same load on its simulated cluster of OMBBrokers brokers.

// OMBBrokers is the size of the cluster an OMB workload runs on (OMB's stock Kafka
// deployments have three brokers), or the replication factor when that is larger.
const OMBBrokers = 3

// ombManualCommit is how the consumers commit when enable.auto.commit is off. OMB's
// Kafka consumer then commits the polled offsets with commitAsync after each poll;
// until the consumer application runs commit async, logsim commits them synchronously
// after each poll's records, which differs only in the consumer waiting for the
// commit's response.
const ombManualCommit = CommitAfterProcessing

// ombKafkaDriver is the driverClass of OMB's Kafka driver, the only one logsim models.
const ombKafkaDriver = "io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver"

// ombWorkloadFields lists every field of OMB's Workload, and what logsim does with it.
var ombWorkloadFields = []string{
	"name", "topics", "partitionsPerTopic", "keyDistributor", "messageSize", "payloadFile",
	"useRandomizedPayloads", "randomBytesRatio", "randomizedPayloadPoolSize", "subscriptionsPerTopic",
	"consumerPerSubscription", "producersPerTopic", "producerRate", "consumerBacklogSizeGB",
	"backlogDrainRatio", "testDurationMinutes", "warmupDurationMinutes",
}

// ombForkFields are workload fields of OMB's forks that logsim does not model, and why.
var ombForkFields = map[string]string{
	"existingTopicList":                   "logsim creates the workload's topics on a fresh cluster; it has no existing topics",
	"existingProduceTopicList":            "logsim creates the workload's topics on a fresh cluster; it has no existing topics",
	"existingConsumeTopicList":            "logsim creates the workload's topics on a fresh cluster; it has no existing topics",
	"sampleRateMillis":                    "logsim samples every second of simulated time (omb-result.json keeps OMB's 10 s intervals)",
	"drainProducerRate":                   "backlog tests (consumerBacklogSizeGB) are not modelled",
	"backlogProducerRate":                 "backlog tests (consumerBacklogSizeGB) are not modelled",
	"warmupProducerRate":                  "a warm-up phase is not modelled",
	"warmupProducerRateSeparationMinutes": "a warm-up phase is not modelled",
}

// ombDriverFields lists the fields of OMB's Kafka driver file.
var ombDriverFields = []string{"name", "driverClass", "replicationFactor", "reset", "topicConfig", "commonConfig", "producerConfig", "consumerConfig"}

// ombPlumbing are client properties about connecting and (de)serializing, which the
// simulation has no use for; group.id is replaced by OMB itself with the
// subscription's name.
var ombPlumbing = map[string]bool{
	"bootstrap.servers": true, "client.id": true, "key.serializer": true, "value.serializer": true,
	"key.deserializer": true, "value.deserializer": true, "group.id": true,
}

// ombField is one top-level field of an OMB file, with its position.
type ombField struct {
	key  string
	node ast.Node
	pos  Pos
}

// ombReader reads one OMB file and collects its errors.
type ombReader struct {
	file   string
	src    []byte
	lines  []string
	errs   *ErrorList
	fields map[string]ombField
}

func (r *ombReader) errAt(pos Pos, path, format string, a ...any) {
	e := &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, a...)}
	if pos.Line > 0 && pos.Line <= len(r.lines) {
		e.Source = r.lines[pos.Line-1]
	}
	*r.errs = append(*r.errs, e)
}

func (r *ombReader) posOf(n ast.Node) Pos {
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return Pos{File: r.file}
	}
	p := n.GetToken().Position
	return Pos{File: r.file, Line: p.Line, Col: p.Column}
}

// readOMBFile parses an OMB YAML file into its top-level fields; accepted lists the
// known fields, and unknown fields are errors (with the forks' fields explained).
func readOMBFile(file, kind string, accepted []string, fork map[string]string, errs *ErrorList) *ombReader {
	r := &ombReader{file: file, errs: errs, fields: map[string]ombField{}}
	src, err := os.ReadFile(file)
	if err != nil {
		r.errAt(Pos{File: file}, "", "cannot read the OpenMessaging Benchmark %s file: %v", kind, err)
		return nil
	}
	r.src = src
	r.lines = strings.Split(string(src), "\n")
	f, err := parseYAML(src)
	if err != nil {
		r.errAt(Pos{File: file}, "", "not YAML: %v", err)
		return nil
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			if body != nil {
				r.errAt(r.posOf(doc.Body), "", "an OMB %s file holds one YAML document; found more (remove the second '---')", kind)
				return nil
			}
			body = doc.Body
		}
	}
	if body == nil {
		r.errAt(Pos{File: file}, "", "the file is empty; an OMB %s file is a mapping of its fields (%s)", kind, strings.Join(accepted, ", "))
		return nil
	}
	m := mappingOf(body)
	if m == nil {
		r.errAt(r.posOf(body), "", "an OMB %s file is a mapping of its fields (%s)", kind, strings.Join(accepted, ", "))
		return nil
	}
	for _, kv := range m.Values {
		key := strings.Trim(kv.Key.String(), `"'`)
		pos := r.posOf(kv.Key)
		if why, ok := fork[key]; ok {
			r.errAt(pos, key, "logsim cannot honour this field of OMB's forks: %s; remove it", why)
			continue
		}
		if !slices.Contains(accepted, key) {
			msg := fmt.Sprintf("unknown OMB %s field %s", kind, key)
			if near, ok := nearest(key, accepted); ok {
				msg += "; did you mean " + near + "?"
			}
			r.errAt(pos, key, "%s (accepted: %s)", msg, strings.Join(accepted, ", "))
			continue
		}
		if _, dup := r.fields[key]; dup {
			r.errAt(pos, key, "the field is given twice")
			continue
		}
		r.fields[key] = ombField{key: key, node: kv.Value, pos: r.posOf(kv.Value)}
	}
	return r
}

// scalar returns a field's scalar text, or false when it is absent or not a scalar.
func (r *ombReader) scalar(key string) (string, ombField, bool) {
	f, ok := r.fields[key]
	if !ok {
		return "", f, false
	}
	switch n := f.node.(type) {
	case *ast.StringNode:
		return n.Value, f, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.LiteralNode:
		if l, ok := n.(*ast.LiteralNode); ok {
			return l.Value.Value, f, true
		}
		return n.GetToken().Value, f, true
	case *ast.NullNode:
		return "", f, false
	}
	r.errAt(f.pos, key, "expected a single value, not a %s", nodeKind(f.node))
	return "", f, false
}

func nodeKind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	}
	return "value of this kind"
}

// int reads an integer field of at least lo; def when absent.
func (r *ombReader) int(key string, lo, def int64) int64 {
	s, f, ok := r.scalar(key)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < lo {
		r.errAt(f.pos, key, "%q: accepted: a whole number of at least %d", s, lo)
		return def
	}
	return n
}

// float reads a number field within [lo, hi]; def when absent.
func (r *ombReader) float(key string, lo, hi, def float64) float64 {
	s, f, ok := r.scalar(key)
	if !ok {
		return def
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || x < lo || x > hi {
		r.errAt(f.pos, key, "%q: accepted: a number from %g to %g", s, lo, hi)
		return def
	}
	return x
}

// bool reads a boolean field; def when absent.
func (r *ombReader) bool(key string, def bool) bool {
	s, f, ok := r.scalar(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		r.errAt(f.pos, key, "%q: accepted: true or false", s)
		return def
	}
	return b
}

// ombProperty is one line of a properties block, with its position in the file.
type ombProperty struct {
	key, value string
	pos        Pos
	block      string // the driver field it came from
}

// properties reads a Java properties text block (key=value, key: value or key value;
// # and ! start comments; a trailing backslash continues a line).
func (r *ombReader) properties(key string) []ombProperty {
	f, ok := r.fields[key]
	if !ok {
		return nil
	}
	text, _, ok := r.scalar(key)
	if !ok {
		return nil
	}
	// The text's lines are found in the file in order, from the field's line on, so
	// each property's error names its own line and column.
	searchFrom := max(f.pos.Line-1, 0)
	var out []ombProperty
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		pos := f.pos
		for j := searchFrom; j < len(r.lines); j++ {
			if k := strings.Index(r.lines[j], line); k >= 0 {
				pos = Pos{File: r.file, Line: j + 1, Col: k + 1}
				searchFrom = j + 1
				break
			}
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + strings.TrimSpace(lines[i])
		}
		k := strings.IndexAny(line, "=: \t")
		name, value := line, ""
		if k >= 0 {
			name = line[:k]
			value = strings.TrimLeft(line[k:], " \t")
			if value != "" && (value[0] == '=' || value[0] == ':') {
				value = strings.TrimSpace(value[1:])
			}
		}
		out = append(out, ombProperty{key: name, value: value, pos: pos, block: key})
	}
	return out
}

// ombSet is one --set derived from the OMB files, with where it came from.
type ombSet struct {
	arg  string
	pos  Pos
	path string
	src  string
}

// FromOMB maps an OpenMessaging Benchmark workload file, and optionally a Kafka driver
// file ("" for none), onto a scenario, then applies the --set overrides. Fields and
// properties logsim cannot honour are errors that name them, with file, line and
// column. Without a driver file the topics have replication factor 3 and
// min.insync.replicas 2, as in every stock OMB Kafka driver, and the clients Kafka's
// defaults.
func FromOMB(workloadFile, driverFile string, sets ...string) (*Scenario, error) {
	var errs ErrorList
	w := readOMBFile(workloadFile, "workload", ombWorkloadFields, ombForkFields, &errs)
	var d *ombReader
	if driverFile != "" {
		d = readOMBFile(driverFile, "driver", ombDriverFields, nil, &errs)
	}
	if w == nil || driverFile != "" && d == nil {
		return nil, errs
	}
	src, derived := ombScenario(w, d)
	if len(errs) > 0 {
		sortOMBErrors(errs, workloadFile)
		return nil, errs
	}
	all := make([]string, 0, len(derived)+len(sets))
	origin := map[string]ombSet{}
	for _, s := range derived {
		all = append(all, s.arg)
		origin["--set "+s.arg] = s
	}
	all = append(all, sets...)
	name := workloadFile + " (as a scenario)"
	s, err := LoadBytes(name, src, all...)
	if err == nil {
		return s, nil
	}
	list, ok := err.(ErrorList)
	if !ok {
		return nil, err
	}
	// Errors about a value taken from a driver property point at the property.
	for _, e := range list {
		if o, ok := origin[e.Flag]; ok {
			ne := &Error{Pos: o.pos, Path: o.path, Msg: e.Msg, Source: o.src}
			if e.Path != "" {
				ne.Msg = "as " + e.Path + ": " + e.Msg
			}
			errs = append(errs, ne)
			continue
		}
		errs = append(errs, e)
	}
	sortOMBErrors(errs, workloadFile)
	return nil, errs
}

// sortOMBErrors puts errors in file order: the workload's, then the driver's, then
// the rest (the mapped scenario's and the --set flags').
func sortOMBErrors(errs ErrorList, workload string) {
	rank := func(e *Error) int {
		switch {
		case e.File == workload:
			return 0
		case e.Flag == "" && e.Line > 0 && !strings.HasSuffix(e.File, "(as a scenario)"):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
}

// ombScenario builds the scenario's YAML from the workload and the overrides from the
// driver's properties.
func ombScenario(w, d *ombReader) ([]byte, []ombSet) {
	name := "omb"
	if s, _, ok := w.scalar("name"); ok && strings.TrimSpace(s) != "" {
		name = s
	} else {
		name = strings.TrimSuffix(filepath.Base(w.file), filepath.Ext(w.file))
	}
	topics := w.int("topics", 1, 1)
	partitions := w.int("partitionsPerTopic", 1, 1)
	messageSize := w.int("messageSize", 1, 1024)
	subscriptions := w.int("subscriptionsPerTopic", 0, 1)
	consumersPer := w.int("consumerPerSubscription", 1, 1)
	producersPer := w.int("producersPerTopic", 1, 1)
	rate := w.float("producerRate", 0, 1e12, 0)
	if f, ok := w.fields["producerRate"]; ok && rate == 0 {
		w.errAt(f.pos, "producerRate", "0 asks OMB to search for the highest sustainable rate, which logsim does not model; "+
			"give the rate to run (messages per second, all producers together); to compare rates, run logsim sweep on the run's "+
			"scenario.yaml with --param producers.p_t0.rate=...")
	} else if !ok {
		w.errAt(Pos{File: w.file}, "producerRate", "missing: the messages per second of all producers together")
	}
	if _, ok := w.fields["testDurationMinutes"]; !ok {
		w.errAt(Pos{File: w.file}, "testDurationMinutes", "missing: the length of the measured phase in minutes")
	}
	minutes := w.int("testDurationMinutes", 1, 1)
	if n := w.int("warmupDurationMinutes", 0, 0); n > 0 {
		f := w.fields["warmupDurationMinutes"]
		w.errAt(f.pos, "warmupDurationMinutes", "logsim cannot honour a warm-up: its metrics cover the whole load phase, and a simulated "+
			"cluster has no JIT or page cache to warm; set it to 0")
	}
	if backlog := w.int("consumerBacklogSizeGB", 0, 0); backlog > 0 {
		f := w.fields["consumerBacklogSizeGB"]
		w.errAt(f.pos, "consumerBacklogSizeGB", "logsim cannot honour backlog mode (consumers paused until a backlog builds, then drained); set it to 0")
	}
	w.float("backlogDrainRatio", 0, 1, 1)
	w.int("randomizedPayloadPoolSize", 0, 0)
	if subscriptions > 0 && consumersPer == 0 {
		w.errAt(w.fields["consumerPerSubscription"].pos, "consumerPerSubscription", "0 consumers cannot consume a subscription; accepted: 1 or more")
	}

	keys := "none"
	if s, f, ok := w.scalar("keyDistributor"); ok {
		switch strings.TrimSpace(s) {
		case "NO_KEY":
		case "KEY_ROUND_ROBIN":
			// OMB's round-robin distributor cycles through 10,000 integer keys.
			keys = "round-robin(10000)"
		case "RANDOM_NANO":
			// Keys from System.nanoTime: effectively a new key per record.
			keys = "uniform(1099511627776)"
		default:
			w.errAt(f.pos, "keyDistributor", "%q: accepted: NO_KEY, KEY_ROUND_ROBIN, RANDOM_NANO", s)
		}
	}
	payload := ombPayload(w, messageSize)

	rf, brokers := int64(3), int64(OMBBrokers)
	var sets []ombSet
	props := map[string][]ombProperty{}
	autoCommit := false
	if d != nil {
		if s, f, ok := d.scalar("driverClass"); ok && strings.TrimSpace(s) != ombKafkaDriver {
			d.errAt(f.pos, "driverClass", "%q: logsim models Kafka only; accepted: %s", s, ombKafkaDriver)
		}
		rf = d.int("replicationFactor", 1, 3)
		brokers = max(brokers, rf)
		d.bool("reset", false) // a simulated cluster is always new
		d.scalar("name")
		for _, block := range []string{"topicConfig", "commonConfig", "producerConfig", "consumerConfig"} {
			props[block] = d.properties(block)
		}
		for _, p := range append(slices.Clone(props["commonConfig"]), props["consumerConfig"]...) {
			if p.key == "enable.auto.commit" {
				autoCommit = strings.EqualFold(p.value, "true")
			}
		}
	}

	var b bytes.Buffer
	q := func(s string) string { j, _ := json.Marshal(s); return string(j) }
	fmt.Fprintf(&b, "name: %s\n", q(ombName(name)))
	desc := "OpenMessaging Benchmark workload " + name
	if d != nil {
		dn, _, _ := d.scalar("name")
		desc += " on driver " + strings.TrimSpace(dn+" ("+filepath.Base(d.file)+")")
	}
	fmt.Fprintf(&b, "description: %s\n", q(desc))
	fmt.Fprintf(&b, "duration: %dm\n", minutes)
	fmt.Fprintf(&b, "cluster: {brokers: %d}\n", brokers)
	b.WriteString("topics:\n")
	for t := range topics {
		fmt.Fprintf(&b, "  - {name: %s, partitions: %d, replication.factor: %d", ombTopic(t), partitions, rf)
		if d == nil {
			b.WriteString(", config: {min.insync.replicas: 2}")
		}
		b.WriteString("}\n")
	}
	// producerRate is the rate of the whole workload, split evenly over the topics.
	perTopic := strconv.FormatFloat(rate/float64(topics), 'f', -1, 64)
	b.WriteString("producers:\n")
	for t := range topics {
		fmt.Fprintf(&b, "  - {name: %s, count: %d, topic: %s, rate: %s/s, message.size: %d, keys: %s, payload: %s}\n",
			ombProducer(t), producersPer, ombTopic(t), perTopic, messageSize, q(keys), payload)
	}
	if subscriptions > 0 {
		commit := ombManualCommit
		if autoCommit {
			commit = CommitAuto
		}
		b.WriteString("consumers:\n")
		for t := range topics {
			for s := range subscriptions {
				fmt.Fprintf(&b, "  - {name: %s, count: %d, group: sub-%03d-%d, topics: [%s], commit: %s}\n",
					ombConsumer(t, s), consumersPer, t, s, ombTopic(t), commit)
			}
		}
	}

	if d != nil {
		set := func(p ombProperty, path string) {
			sets = append(sets, ombSet{arg: path + "=" + p.value, pos: p.pos, path: p.block + "." + p.key, src: d.lineAt(p.pos)})
		}
		topicKeys, producerKeys, consumerKeys := keysOf(reflect.TypeFor[TopicConfig]()), keysOf(reflect.TypeFor[ProducerConfig]()), keysOf(reflect.TypeFor[ConsumerConfig]())
		for _, p := range props["topicConfig"] {
			if !slices.Contains(topicKeys, p.key) {
				d.unsupported(p, "topic", topicKeys)
				continue
			}
			for t := range topics {
				set(p, "topics."+ombTopic(t)+".config."+p.key)
			}
		}
		apply := func(p ombProperty, toProducers, toConsumers bool) {
			if toProducers {
				for t := range topics {
					set(p, "producers."+ombProducer(t)+".config."+p.key)
				}
			}
			if toConsumers {
				for t := range topics {
					for s := range subscriptions {
						set(p, "consumers."+ombConsumer(t, s)+".config."+p.key)
					}
				}
			}
		}
		for _, p := range props["commonConfig"] {
			inP, inC := slices.Contains(producerKeys, p.key), slices.Contains(consumerKeys, p.key)
			switch {
			case ombPlumbing[p.key]:
			case !inP && !inC:
				d.unsupported(p, "producer or consumer", append(slices.Clone(producerKeys), consumerKeys...))
			default:
				apply(p, inP, inC)
			}
		}
		for _, p := range props["producerConfig"] {
			switch {
			case ombPlumbing[p.key]:
			case !slices.Contains(producerKeys, p.key):
				d.unsupported(p, "producer", producerKeys)
			default:
				apply(p, true, false)
			}
		}
		for _, p := range props["consumerConfig"] {
			switch {
			case ombPlumbing[p.key]:
			case !slices.Contains(consumerKeys, p.key):
				d.unsupported(p, "consumer", consumerKeys)
			default:
				apply(p, false, true)
			}
		}
	}
	return b.Bytes(), sets
}

func (r *ombReader) lineAt(p Pos) string {
	if p.Line > 0 && p.Line <= len(r.lines) {
		return r.lines[p.Line-1]
	}
	return ""
}

// unsupported reports a Kafka property that logsim does not model.
func (r *ombReader) unsupported(p ombProperty, what string, accepted []string) {
	msg := fmt.Sprintf("logsim's %s does not model the Kafka property %s, so it cannot honour it", what, p.key)
	if near, ok := nearest(p.key, accepted); ok && levenshtein(near, p.key) <= 3 {
		msg += "; did you mean " + near + "?"
	}
	sorted := slices.Clone(accepted)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	r.errAt(p.pos, p.block+"."+p.key, "%s (accepted: %s; ignored: %s)", msg, strings.Join(sorted, ", "), strings.Join(slices.Sorted(mapKeys(ombPlumbing)), ", "))
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ombPayload chooses the payload kind from the workload's payload settings: the
// payload file's bytes, or the randomized payloads' share of random bytes.
func ombPayload(w *ombReader, messageSize int64) string {
	randomized := w.bool("useRandomizedPayloads", false)
	ratio := w.float("randomBytesRatio", 0, 1, 0)
	if randomized {
		switch {
		case ratio == 1:
			return "random"
		case ratio == 0:
			return "zeros"
		}
		f := w.fields["randomBytesRatio"]
		w.errAt(f.pos, "randomBytesRatio", "%g: logsim's payloads are random, json, log or zeros; a payload that is part random, part zeros "+
			"is not modelled; accepted: 1 (random) or 0 (zeros), or a payloadFile", ratio)
		return "random"
	}
	file, f, ok := w.scalar("payloadFile")
	if !ok {
		// OMB needs a payload file unless payloads are randomized; incompressible
		// bytes are the cautious reading.
		return "random"
	}
	// OMB resolves payloadFile from its own working folder, the repository's root,
	// where workloads/ and payload/ are siblings: the workload's folder, its parent
	// and the current folder are tried in turn.
	candidates := []string{file}
	if !filepath.IsAbs(file) {
		dir := filepath.Dir(w.file)
		candidates = []string{filepath.Join(dir, file), filepath.Join(dir, "..", file), file}
	}
	var data []byte
	var err error
	for _, path := range candidates {
		if data, err = os.ReadFile(path); err == nil {
			break
		}
	}
	if err != nil {
		w.errAt(f.pos, "payloadFile", "cannot read %s (tried %s); logsim reads the payload to know how it compresses",
			file, strings.Join(candidates, ", "))
		return "random"
	}
	if int64(len(data)) != messageSize {
		w.errAt(f.pos, "payloadFile", "%s has %d bytes but messageSize is %d; OMB refuses a payload file whose length differs from messageSize",
			file, len(data), messageSize)
	}
	return classifyPayload(data)
}

// classifyPayload picks the payload kind closest to the bytes: zeros, JSON, text
// (log lines) or binary (random).
func classifyPayload(data []byte) string {
	if len(bytes.Trim(data, "\x00")) == 0 {
		return "zeros"
	}
	if json.Valid(bytes.TrimSpace(data)) {
		return "json"
	}
	for _, c := range data {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return "random"
		}
	}
	return "log"
}

// ombName makes the workload's name usable as a scenario name and folder name.
func ombName(name string) string {
	return dirName(strings.ReplaceAll(name, "/", " "))
}

func ombTopic(t int64) string       { return fmt.Sprintf("omb-topic-%d", t) }
func ombProducer(t int64) string    { return fmt.Sprintf("p_t%d", t) }
func ombConsumer(t, s int64) string { return fmt.Sprintf("c_t%d_s%d", t, s) }

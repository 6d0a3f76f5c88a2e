package scenarios

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"logsim/reports"
)

// SweepDim is one swept setting: a --set path and the values it takes, in order.
type SweepDim struct {
	Path   string
	Values []Value
}

// SweepConfig is one configuration of a sweep: one value of every dimension.
type SweepConfig struct {
	// Index is the configuration's place in the cross product (the first dimension
	// varies slowest, as nested loops in the order the dimensions are listed).
	Index int
	// Params are the configuration's values, in dimension order.
	Params []reports.Param
	// Label names the configuration in tables and legends: "linger.ms=5
	// compression.type=lz4" (Kafka keys alone where they are unambiguous).
	Label string
	// Dir is the configuration's run folder inside the sweep's output folder: the
	// label with only characters every file system accepts, unique within the sweep.
	Dir string
}

// Sets returns the --set arguments that select the configuration.
func (c SweepConfig) Sets() []string {
	out := make([]string, len(c.Params))
	for i, p := range c.Params {
		out[i] = p.Path + "=" + p.Value
	}
	return out
}

// Sweep is a scenario file with the configurations logsim sweep runs.
type Sweep struct {
	// Base is the scenario as loaded with the common --set overrides, before any
	// swept value.
	Base *Scenario
	// Dims are the sweep's dimensions: the file's sweep section in file order, then
	// the --param dimensions (a --param path the file already sweeps replaces its
	// values in place).
	Dims []SweepDim
	// Configs is the cross product of Dims.
	Configs []SweepConfig

	file    string
	src     []byte
	dir     string
	sets    []string
	shipped bool
}

// ParseSweepParam reads a --param flag, PATH=V1,V2,...: values are separated by
// commas outside brackets, braces, parentheses and quotes, so flow values such as
// {profile: laptop} and "zipf(1000, 1.1)" stay whole.
func ParseSweepParam(arg string) (SweepDim, error) {
	path, list, ok := strings.Cut(arg, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return SweepDim{}, fmt.Errorf("--param %q: expected PATH=V1,V2,..., such as producers.p.config.linger.ms=0,5,20", arg)
	}
	var vals []Value
	for _, v := range splitTopLevel(list) {
		v = strings.TrimSpace(v)
		if v == "" {
			return SweepDim{}, fmt.Errorf("--param %q: an empty value; expected PATH=V1,V2,... with a value between each pair of commas", arg)
		}
		vals = append(vals, Value(v))
	}
	return SweepDim{Path: path, Values: vals}, nil
}

// splitTopLevel splits s at commas that are not nested in brackets or quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '[' || r == '{' || r == '(':
			depth++
		case r == ']' || r == '}' || r == ')':
			depth--
		case r == ',' && depth <= 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// LoadSweep loads the scenario file (or shipped scenario name) with the common
// --set overrides, and builds the cross product of its sweep section and the extra
// dimensions. Every value of an extra dimension is checked by loading the scenario
// with it, so a bad --param is reported before anything runs.
func LoadSweep(file string, sets []string, extra []SweepDim) (*Sweep, error) {
	sw := &Sweep{file: file, sets: slices.Clone(sets), dir: filepath.Dir(file)}
	src, err := os.ReadFile(file)
	if err != nil {
		name := file
		if !strings.HasSuffix(name, ".yaml") {
			name += ".yaml"
		}
		shipped, serr := fs.ReadFile(shippedFS, name)
		if serr != nil || strings.ContainsAny(file, `/\`) {
			return nil, ErrorList{{Pos: Pos{File: file}, Msg: fmt.Sprintf("cannot read the scenario: %v", err)}}
		}
		src, sw.file, sw.dir, sw.shipped = shipped, name, "", true
	}
	sw.src = src
	base, err := load(sw.file, sw.dir, src, sw.sets, true)
	if err != nil {
		return nil, err
	}
	sw.Base = base
	for _, path := range sweepOrder(src, base.Sweep) {
		sw.Dims = append(sw.Dims, SweepDim{Path: path, Values: base.Sweep[path]})
	}
	var errs []string
	for _, d := range extra {
		if len(d.Values) == 0 {
			errs = append(errs, fmt.Sprintf("--param %s: no values; expected PATH=V1,V2,...", d.Path))
			continue
		}
		for _, v := range d.Values {
			if _, err := load(sw.file, sw.dir, src, append(slices.Clone(sw.sets), d.Path+"="+string(v)), false); err != nil {
				errs = append(errs, fmt.Sprintf("--param %s: the value %s does not load:\n%s", d.Path, v, indent(err.Error())))
			}
		}
		if i := slices.IndexFunc(sw.Dims, func(x SweepDim) bool { return x.Path == d.Path }); i >= 0 {
			sw.Dims[i] = d
		} else {
			sw.Dims = append(sw.Dims, d)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	sw.Configs = crossProduct(sw.Dims)
	return sw, nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// sweepOrder returns the sweep section's paths in the order the file lists them;
// paths the file does not show (a --set of the whole sweep) follow, sorted.
func sweepOrder(src []byte, sweep map[string][]Value) []string {
	var order []string
	if f, err := parseYAML(src); err == nil {
		for _, doc := range f.Docs {
			if doc == nil {
				continue
			}
			if m := mappingOf(doc.Body); m != nil {
				for _, kv := range m.Values {
					if kv.Key.String() != "sweep" {
						continue
					}
					if sm := mappingOf(kv.Value); sm != nil {
						for _, e := range sm.Values {
							order = append(order, strings.Trim(e.Key.String(), `"'`))
						}
					}
				}
			}
		}
	}
	var out []string
	for _, p := range order {
		if _, ok := sweep[p]; ok && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(sweep)) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// mappingOf returns n as a mapping node, looking through comments and anchors.
func mappingOf(n ast.Node) *ast.MappingNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m
	case *ast.MappingValueNode:
		return &ast.MappingNode{Values: []*ast.MappingValueNode{m}}
	case *ast.AnchorNode:
		return mappingOf(m.Value)
	case *ast.CommentGroupNode:
		return nil
	}
	return nil
}

// crossProduct lists every combination of the dimensions' values, the first
// dimension varying slowest. No dimension gives one configuration: the scenario as it is.
func crossProduct(dims []SweepDim) []SweepConfig {
	n := 1
	for _, d := range dims {
		n *= len(d.Values)
	}
	keys := paramKeys(dims)
	configs := make([]SweepConfig, 0, n)
	used := map[string]int{}
	for i := range n {
		c := SweepConfig{Index: i, Params: make([]reports.Param, len(dims))}
		rest := i
		for j := len(dims) - 1; j >= 0; j-- {
			k := len(dims[j].Values)
			c.Params[j] = reports.Param{Path: dims[j].Path, Value: string(dims[j].Values[rest%k])}
			rest /= k
		}
		parts := make([]string, len(dims))
		for j, p := range c.Params {
			parts[j] = keys[j] + "=" + p.Value
		}
		c.Label = strings.Join(parts, " ")
		if c.Label == "" {
			c.Label = "as-is"
		}
		c.Dir = dirName(c.Label)
		if used[c.Dir]++; used[c.Dir] > 1 {
			c.Dir = fmt.Sprintf("%s-%d", c.Dir, i)
		}
		configs = append(configs, c)
	}
	return configs
}

// paramKeys shortens each dimension's path for labels to its last key, whole when it
// is a dotted Kafka key (producers.p.config.linger.ms is linger.ms,
// topics.orders.replication.factor is replication.factor), unless two dimensions would
// then share a name.
func paramKeys(dims []SweepDim) []string {
	known := scenarioKeys()
	short := make([]string, len(dims))
	count := map[string]int{}
	for i, d := range dims {
		segs := strings.Split(d.Path, ".")
		s := d.Path
		for k := range segs {
			if key := strings.Join(segs[k:], "."); known[key] {
				s = key
				break
			}
		}
		short[i] = s
		count[s]++
	}
	for i, d := range dims {
		if count[short[i]] > 1 {
			short[i] = d.Path
		}
	}
	return short
}

// scenarioKeys returns every key of the scenario format, at any depth.
func scenarioKeys() map[string]bool {
	keys := map[string]bool{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for _, f := range fieldsOf(t) {
			keys[f.key] = true
			walk(t.Field(f.index).Type)
		}
	}
	walk(reflect.TypeFor[Scenario]())
	walk(reflect.TypeFor[Hardware]())
	return keys
}

// dirName keeps letters, digits and . _ = - of a label; every other run of characters
// becomes one underscore.
func dirName(label string) string {
	var b strings.Builder
	under := false
	for _, r := range label {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._=-", r)
		if ok {
			b.WriteRune(r)
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" || s == "." || s == ".." {
		s = "config"
	}
	return s
}

// Scenario loads the scenario of one configuration: the file with the common
// overrides, then the configuration's values.
func (sw *Sweep) Scenario(c SweepConfig) (*Scenario, error) {
	return load(sw.file, sw.dir, sw.src, append(slices.Clone(sw.sets), c.Sets()...), false)
}

// File is the scenario file as given (a shipped scenario's file name).
func (sw *Sweep) File() string { return sw.file }

// Sets are the common --set overrides every configuration starts from.
func (sw *Sweep) Sets() []string { return slices.Clone(sw.sets) }

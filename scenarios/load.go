package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"logsim/faults"
)

//go:embed *.yaml
var shippedFS embed.FS

// Load reads, resolves and validates the scenario file at path, after applying the
// --set overrides (each "path=value"). The error, if any, is an ErrorList with every
// problem found.
func Load(path string, sets ...string) (*Scenario, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrorList{{Pos: Pos{File: path}, Msg: fmt.Sprintf("cannot read the scenario: %v", err)}}
	}
	return load(path, filepath.Dir(path), src, sets, true)
}

// LoadBytes is Load for a scenario already in memory; file names it in errors, and
// relative hardware profile paths are read from file's directory.
func LoadBytes(file string, src []byte, sets ...string) (*Scenario, error) {
	return load(file, filepath.Dir(file), src, sets, true)
}

// Shipped describes one scenario shipped with logsim.
type Shipped struct {
	// File is the scenario's file name, such as quickstart.yaml.
	File string
	// Name and Description are the scenario's own.
	Name, Description string
}

// List returns the shipped scenarios, sorted by file name.
func List() ([]Shipped, error) {
	entries, err := fs.ReadDir(shippedFS, ".")
	if err != nil {
		return nil, err
	}
	var out []Shipped
	for _, e := range entries {
		s, err := LoadShipped(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Shipped{File: e.Name(), Name: s.Name, Description: s.Description})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out, nil
}

// LoadShipped loads a shipped scenario by file name (quickstart.yaml) or name
// (quickstart).
func LoadShipped(name string, sets ...string) (*Scenario, error) {
	file := name
	if !strings.HasSuffix(file, ".yaml") {
		file += ".yaml"
	}
	src, err := fs.ReadFile(shippedFS, file)
	if err != nil {
		return nil, ErrorList{{Pos: Pos{File: name}, Msg: "no shipped scenario of that name; logsim list shows them"}}
	}
	return load(file, "", src, sets, true)
}

// load is the whole pipeline: defaults, the file's keys over them, the --set
// overrides, the defaults that depend on other settings, then validation.
func load(file, dir string, src []byte, sets []string, checkSweep bool) (*Scenario, error) {
	var errs ErrorList
	d := newDecoder(file, src, &errs, map[string]Pos{})
	d.dir = dir
	d.nodes = 0
	s := Default()
	body, ok := d.parseDoc(src)
	if !ok {
		return nil, errs.err()
	}
	if body == nil {
		d.errAt(Pos{File: file}, "", "the file is empty; a scenario needs at least a topic and a producer (see scenarios/README.md)")
		return nil, errs.err()
	}
	d.decode(body, reflect.ValueOf(s).Elem(), "")
	for _, set := range sets {
		d.applySet(s, set)
	}
	// Values that failed to decode kept their defaults, so the scenario can still be
	// resolved and checked: every problem is reported at once. Checks of a value that
	// already has an error are dropped, as they would only repeat it.
	decodeErrs := slices.Clone(errs)
	d.resolve(s)
	var verrs ErrorList
	v := &validator{d: d, errs: &verrs}
	v.scenario(s)
	for _, e := range verrs {
		if !slices.ContainsFunc(decodeErrs, func(de *Error) bool { return related(de.Path, e.Path) }) {
			errs = append(errs, e)
		}
	}
	if checkSweep && len(errs) == 0 {
		v.errs = &errs
		v.sweep(s, src, sets)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// related reports whether one display path is the other or lies below it.
func related(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	within := func(x, y string) bool {
		return x == y || strings.HasPrefix(x, y+".") || strings.HasPrefix(x, y+"[")
	}
	return within(a, b) || within(b, a)
}

// explicit reports whether the file or a --set gave the value at path.
func (d *decoder) explicit(path string) bool {
	_, ok := d.pos[path]
	return ok
}

// resolve fills the defaults that depend on other settings, in Kafka's way, for every
// value the scenario did not give.
func (d *decoder) resolve(s *Scenario) {
	if s.Name == "" && !d.explicit("name") {
		s.Name = strings.TrimSuffix(filepath.Base(d.file), filepath.Ext(d.file))
	}
	if !s.Hardware.ensure(d, nil, "hardware") {
		return
	}
	cc := &s.Cluster.Config
	if !d.explicit("cluster" + sep + "config" + sep + "offsets.topic.replication.factor") {
		cc.OffsetsTopicReplicationFactor = min(3, s.Cluster.Brokers)
	}
	for i := range s.Topics {
		t, p := &s.Topics[i], elem("topics", i)
		if !d.explicit(child(p, "partitions")) {
			t.Partitions = cc.NumPartitions
		}
		if !d.explicit(child(p, "replication.factor")) {
			t.ReplicationFactor = cc.DefaultReplicationFactor
		}
		t.Config.inherit(cc, func(key string) bool { return d.explicit(child(child(p, "config"), key)) })
	}
	for i := range s.Producers {
		c, p := &s.Producers[i].Config, child(elem("producers", i), "config")
		// Kafka 3.2+: idempotence is on by default, and silently off when a setting
		// conflicts with it and the user did not ask for it.
		if !d.explicit(child(p, "enable.idempotence")) {
			c.EnableIdempotence = c.Acks == "all" && c.Retries > 0 && c.MaxInFlightRequestsPerConnection <= 5
		}
	}
	for i := range s.Consumers {
		c, p := &s.Consumers[i], elem("consumers", i)
		commitSet, autoSet := d.explicit(child(p, "commit")), d.explicit(child(child(p, "config"), "enable.auto.commit"))
		switch {
		case c.Group == "":
			// Without a group.id Kafka's consumer cannot commit and disables auto-commit.
			if !commitSet {
				c.Commit = CommitNone
			}
			if !autoSet {
				c.Config.EnableAutoCommit = false
			}
		case commitSet && !autoSet:
			c.Config.EnableAutoCommit = c.Commit.AutoCommits()
		case autoSet && !commitSet:
			c.Commit = CommitAfterProcessing
			if c.Config.EnableAutoCommit {
				c.Commit = CommitAuto
			}
		}
	}
	if !d.explicit("phases" + sep + "drain") {
		// The final reads fetch every log from its start over one client's NIC: a
		// long run needs a longer deadline. Reading is no slower than producing was,
		// so the load's own length (a minute at least) is enough for a healthy cluster.
		s.Phases.Drain = max(s.Phases.Drain, s.Duration+s.Phases.Heal)
	}
	if !d.explicit("expect" + sep + "valid") {
		s.Expect.Valid = len(s.Expect.invalidating()) == 0
	}
}

// ensure loads the profile if nothing has been read into the hardware yet.
func (r *HardwareRef) ensure(d *decoder, n ast.Node, path string) bool {
	if r.Profile == NoProfile || !reflect.ValueOf(r.Hardware).IsZero() {
		return true
	}
	h, ok := d.readProfile(r.Profile, n, path)
	if ok {
		r.Hardware = *h
	}
	return ok
}

// Validate checks a scenario built or changed in Go (Load already validates what it
// returns): the same cross-field checks, with errors naming the value's path. It does
// not fill defaults; start from Default() or a loaded scenario.
func (s *Scenario) Validate() error {
	var errs ErrorList
	d := newDecoder(s.Name, nil, &errs, map[string]Pos{})
	v := &validator{d: d, errs: &errs}
	v.scenario(s)
	return errs.err()
}

// FaultTimeline expands the scenario's faults into their start and stop actions over
// the load phase, drawing nemesis choices from r (the runner's fault stream).
func (s *Scenario) FaultTimeline(r *rand.Rand) []faults.Action {
	return faults.Timeline(s.Faults, s.Duration, r)
}

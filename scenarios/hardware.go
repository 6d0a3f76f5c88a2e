package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"logsim/sim"
)

//go:embed hardware/*.yaml
var hardwareFS embed.FS

// DefaultProfile is the hardware of scenarios that name none: the machines of Jay Kreps'
// 2014 benchmark, "Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three
// Cheap Machines)".
const DefaultProfile = "commodity-2014"

// NoProfile, as hardware.profile, starts from nothing: every key is given in the
// scenario. The resolved scenario uses it when the profile came from a file.
const NoProfile = "none"

// Hardware is one machine of the cluster (every broker and the controller run on one
// each): CPU, memory, network and disks, the inputs of the simulator's cost model.
type Hardware struct {
	Description string  `yaml:"description" doc:"what machine this is"`
	CPU         CPU     `yaml:"cpu" doc:"processor and CPU costs"`
	Memory      Memory  `yaml:"memory" doc:"memory"`
	Network     Network `yaml:"network" doc:"network interface and latency"`
	Disk        Disk    `yaml:"disk" doc:"data disks (log.dirs), one log directory per disk, no RAID"`
}

// CPU is the processor and what work costs on it.
type CPU struct {
	Cores   int           `yaml:"cores" doc:"cores that run request handling in parallel"`
	GHz     float64       `yaml:"ghz" doc:"clock, for the record (the costs below are already for this processor)"`
	Request time.Duration `yaml:"request" doc:"CPU time to handle one request apart from its bytes (parse, dispatch, respond)"`
	Copy    Bandwidth     `yaml:"copy" doc:"per-core rate of per-byte work: checksum (CRC32C) and copies of record data"`
	Codecs  Codecs        `yaml:"codecs" doc:"per-core codec speeds, in uncompressed bytes per second"`
}

// Codecs are the speeds of Kafka's four codecs.
type Codecs struct {
	Gzip   Codec `yaml:"gzip" doc:"gzip (zlib, Kafka's default level 6)"`
	Snappy Codec `yaml:"snappy" doc:"snappy"`
	LZ4    Codec `yaml:"lz4" doc:"lz4 (frame format)"`
	Zstd   Codec `yaml:"zstd" doc:"zstd (level 3, Kafka's default)"`
}

// Codec is one codec's speed per core.
type Codec struct {
	Compress   Bandwidth `yaml:"compress" doc:"uncompressed bytes compressed per second per core"`
	Decompress Bandwidth `yaml:"decompress" doc:"uncompressed bytes produced per second per core when decompressing"`
}

// Memory is the machine's RAM and how much of it the page cache may use.
type Memory struct {
	RAM       Size `yaml:"ram" doc:"installed memory"`
	PageCache Size `yaml:"page.cache" doc:"memory left to the page cache after the JVM heap and the OS"`
}

// Network is the machine's network interface and the latency of its links.
type Network struct {
	NIC     Bandwidth   `yaml:"nic" doc:"network interface bandwidth (each direction)"`
	Latency LatencyDist `yaml:"latency" doc:"one-way latency of each message between two machines"`
}

// Disk is the machine's data disks, each holding one log directory.
type Disk struct {
	Count       int         `yaml:"count" doc:"number of data disks"`
	Bandwidth   Bandwidth   `yaml:"bandwidth" doc:"sustained sequential write bandwidth of each disk"`
	OpLatency   LatencyDist `yaml:"op.latency" doc:"fixed cost of each write operation"`
	SyncLatency LatencyDist `yaml:"sync.latency" doc:"cost of an fsync"`
	Capacity    Size        `yaml:"capacity" doc:"size of each disk"`
	TornWrite   float64     `yaml:"torn.write.probability" doc:"chance that a power loss leaves the last unsynced write of a file torn rather than absent"`
}

// LatencyKind names a latency distribution.
type LatencyKind string

var latencyKinds = []string{"constant", "uniform", "exponential", "mixture"}

func (LatencyKind) syntax() string { return strings.Join(latencyKinds, ", ") }

// UnmarshalText reads a distribution name.
func (k *LatencyKind) UnmarshalText(b []byte) error {
	v, err := enumValue(string(b), "latency kind", latencyKinds, nil)
	*k = LatencyKind(v)
	return err
}

// MarshalText prints the name.
func (k LatencyKind) MarshalText() ([]byte, error) { return []byte(k), nil }

// LatencyDist is a latency distribution. The same shape as the simulator's: constant
// (value); uniform in [min, max]; exponential with mean, floored at min and capped at max
// if max > 0 (TigerBeetle's packet delay); mixture, FoundationDB's: uniform in
// [min, max], except with slow.probability uniform in [min, slow.max].
type LatencyDist struct {
	Kind            LatencyKind   `yaml:"kind" doc:"constant, uniform, exponential or mixture"`
	Value           time.Duration `yaml:"value" doc:"constant: the latency"`
	Min             time.Duration `yaml:"min" doc:"uniform, mixture: lower bound; exponential: floor"`
	Max             time.Duration `yaml:"max" doc:"uniform, mixture: upper bound of the fast path; exponential: cap (0: none)"`
	Mean            time.Duration `yaml:"mean" doc:"exponential: mean before the floor"`
	SlowProbability float64       `yaml:"slow.probability" doc:"mixture: chance of a slow draw"`
	SlowMax         time.Duration `yaml:"slow.max" doc:"mixture: upper bound of a slow draw"`
}

// Sample draws one latency.
func (l LatencyDist) Sample(r *rand.Rand) time.Duration {
	uniform := func(lo, hi time.Duration) time.Duration {
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
	}
	switch l.Kind {
	case "uniform":
		return uniform(l.Min, l.Max)
	case "exponential":
		d := max(l.Min, time.Duration(sim.ExpFloat64(r)*float64(l.Mean)))
		if l.Max > 0 {
			d = min(d, l.Max)
		}
		return d
	case "mixture":
		if r.Float64() < l.SlowProbability {
			return uniform(l.Min, l.SlowMax)
		}
		return uniform(l.Min, l.Max)
	}
	return l.Value
}

// validate checks the distribution's fields for its kind.
func (l LatencyDist) validate(bad func(key, format string, a ...any)) {
	for _, f := range []struct {
		key string
		d   time.Duration
	}{{"value", l.Value}, {"min", l.Min}, {"max", l.Max}, {"mean", l.Mean}, {"slow.max", l.SlowMax}} {
		if f.d < 0 {
			bad(f.key, "%v is negative", f.d)
		}
	}
	switch l.Kind {
	case "uniform", "mixture":
		if l.Max < l.Min {
			bad("max", "%v is below min %v", l.Max, l.Min)
		}
		if l.Kind == "mixture" {
			if l.SlowProbability < 0 || l.SlowProbability > 1 {
				bad("slow.probability", "%v is not in [0, 1]", l.SlowProbability)
			}
			if l.SlowMax < l.Max {
				bad("slow.max", "%v is below max %v", l.SlowMax, l.Max)
			}
		}
	case "exponential":
		if l.Mean <= 0 {
			bad("mean", "an exponential distribution needs a mean > 0")
		}
		if l.Max > 0 && l.Max < l.Min {
			bad("max", "%v is below the floor min %v", l.Max, l.Min)
		}
	case "constant":
	default:
		bad("kind", "missing; accepted: %s", strings.Join(latencyKinds, ", "))
	}
}

// HardwareRef is the scenario's hardware: the profile it starts from and the resolved
// values, after the scenario's overrides.
type HardwareRef struct {
	// Profile is a shipped profile's name, a path to a profile file, or NoProfile.
	Profile string
	Hardware
}

// Profiles lists the names of the shipped hardware profiles, sorted.
func Profiles() []string {
	entries, err := fs.ReadDir(hardwareFS, "hardware")
	if err != nil {
		panic(fmt.Sprintf("scenarios: embedded hardware profiles: %v", err))
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// isProfilePath reports whether ref names a file rather than a shipped profile.
func isProfilePath(ref string) bool {
	return strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml")
}

// LoadHardware reads a hardware profile: a shipped name, or a path to a profile file.
func LoadHardware(ref string) (*Hardware, error) {
	var errs ErrorList
	d := newDecoder("", nil, &errs, map[string]Pos{})
	h, _ := d.readProfile(ref, nil, "hardware")
	if err := errs.err(); err != nil {
		return nil, err
	}
	var verrs ErrorList
	v := &validator{d: d, errs: &verrs}
	v.hardware(h, "")
	if err := verrs.err(); err != nil {
		return nil, err
	}
	return h, nil
}

// readProfile loads profile ref; errors go to d's list at node n (the place in the
// scenario that names it) or into the profile file itself.
func (d *decoder) readProfile(ref string, n ast.Node, path string) (*Hardware, bool) {
	h := &Hardware{}
	if ref == NoProfile {
		return h, true
	}
	var src []byte
	var err error
	file := ref
	if isProfilePath(ref) {
		if !filepath.IsAbs(file) && d.dir != "" {
			file = filepath.Join(d.dir, file)
		}
		src, err = os.ReadFile(file)
	} else {
		src, err = fs.ReadFile(hardwareFS, "hardware/"+ref+".yaml")
		file = "hardware/" + ref + ".yaml"
		if err != nil {
			msg := fmt.Sprintf("unknown hardware profile %q; accepted: %s, %s, or a path to a profile file", ref, strings.Join(Profiles(), ", "), NoProfile)
			if near, ok := nearest(ref, Profiles()); ok {
				msg += "; did you mean " + near + "?"
			}
			d.errorf(n, path, "%s", msg)
			return h, false
		}
	}
	if err != nil {
		d.errorf(n, path, "hardware profile: %v", err)
		return h, false
	}
	pd := newDecoder(file, src, d.errs, map[string]Pos{})
	body, ok := pd.parseDoc(src)
	if !ok {
		return h, false
	}
	if body == nil {
		d.errorf(n, path, "hardware profile %s is empty", file)
		return h, false
	}
	pd.decode(body, reflect.ValueOf(h).Elem(), "")
	return h, true
}

// decodeNode reads a profile name or path, or a mapping of profile: and overrides.
func (r *HardwareRef) decodeNode(d *decoder, n ast.Node, path string) {
	if text, ok := scalar(n); ok {
		h, ok := d.readProfile(text, n, path)
		if ok {
			r.Profile, r.Hardware = text, *h
		}
		return
	}
	entries, ok := mappingEntries(n)
	if !ok {
		d.errorf(n, path, "expected a profile name, a path, or a mapping with profile: and overrides; found %s", kindName(n))
		return
	}
	// The profile comes first whatever its place in the mapping; the other keys
	// override it.
	base := r.Profile
	var baseNode ast.Node = n
	var rest []*ast.MappingValueNode
	for _, mv := range entries {
		if key, ok := scalar(mv.Key); ok && key == "profile" {
			d.pos[child(path, "profile")] = d.posOf(mv.Value)
			text, ok := scalar(mv.Value)
			if !ok {
				d.errorf(mv.Value, child(path, "profile"), "expected a profile name or path, found %s", kindName(mv.Value))
				return
			}
			base, baseNode = text, mv.Value
			continue
		}
		rest = append(rest, mv)
	}
	if base == "" {
		base = DefaultProfile
	}
	if base != r.Profile || reflect.ValueOf(r.Hardware).IsZero() {
		h, ok := d.readProfile(base, baseNode, path)
		if !ok {
			return
		}
		r.Hardware = *h
	}
	r.Profile = base
	d.decodeStruct(&ast.MappingNode{BaseNode: &ast.BaseNode{}, Start: n.GetToken(), Values: rest}, reflect.ValueOf(&r.Hardware).Elem(), path)
}

// yamlValue writes the reference as a mapping: profile, then every resolved value.
// A profile read from a file is written as NoProfile, so that the resolved scenario
// stands alone.
func (r HardwareRef) yamlValue() any {
	profile := r.Profile
	if isProfilePath(profile) {
		profile = NoProfile
	}
	return append(mapSlice{{Key: "profile", Value: profile}}, encodeValue(reflect.ValueOf(r.Hardware)).(mapSlice)...)
}

// decodeNode reads a distribution afresh: an override replaces the whole distribution
// rather than mixing its keys with the profile's.
func (l *LatencyDist) decodeNode(d *decoder, n ast.Node, path string) {
	*l = LatencyDist{}
	d.decodeStruct(n, reflect.ValueOf(l).Elem(), path)
}

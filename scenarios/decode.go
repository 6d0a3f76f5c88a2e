package scenarios

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Paths name a value's place in the scenario. Internally segments are joined by sep
// (keys contain dots); display turns them into producers[0].config.linger.ms.
const sep = "\x1f"

func child(p, key string) string {
	if p == "" {
		return key
	}
	return p + sep + key
}

func elem(p string, i int) string { return p + sep + "[" + strconv.Itoa(i) + "]" }

func display(p string) string {
	return strings.ReplaceAll(strings.ReplaceAll(p, sep+"[", "["), sep, ".")
}

func parentPath(p string) (string, bool) {
	if p == "" {
		return "", false
	}
	i := strings.LastIndex(p, sep)
	if i < 0 {
		return "", true
	}
	return p[:i], true
}

// Limits that keep hostile input (deep nesting, alias bombs) from exhausting memory.
const (
	maxDepth  = 64
	maxNodes  = 200_000
	maxErrors = 50
)

// defaulter is implemented by types whose zero value is not their default: the decoder
// fills a new list element's defaults before reading the file's keys over them.
type defaulter interface{ setDefaults() }

// nodeDecoder is implemented by types that read their own YAML node (hardware, which
// may be a profile name or a mapping of overrides).
type nodeDecoder interface {
	decodeNode(d *decoder, n ast.Node, path string)
}

// decoder reads goccy/go-yaml syntax trees into Go values, strictly, recording where
// each value came from and collecting every error.
type decoder struct {
	file    string
	lines   []string
	flag    string // the --set argument being applied ("" while reading a file)
	errs    *ErrorList
	pos     map[string]Pos
	anchors map[string]ast.Node
	dir     string // directory of the scenario file, for relative hardware paths
	depth   int
	nodes   int
	// loadProfile reads a hardware profile by name or path (set by the loader).
	loadProfile func(ref string, at *decoder, n ast.Node, path string) (*Hardware, bool)
}

func newDecoder(file string, src []byte, errs *ErrorList, pos map[string]Pos) *decoder {
	return &decoder{file: file, lines: strings.Split(string(src), "\n"), errs: errs, pos: pos, anchors: map[string]ast.Node{}}
}

// posOf is the position of a node's first token.
func (d *decoder) posOf(n ast.Node) Pos {
	if d.flag != "" {
		return Pos{Flag: d.flag}
	}
	p := Pos{File: d.file}
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

func (d *decoder) source(p Pos) string {
	if p.Flag == "" && p.Line > 0 && p.Line <= len(d.lines) {
		return strings.TrimRight(d.lines[p.Line-1], "\r")
	}
	return ""
}

func (d *decoder) errAt(p Pos, path, format string, a ...any) {
	if len(*d.errs) >= maxErrors {
		return
	}
	*d.errs = append(*d.errs, &Error{Pos: p, Path: display(path), Msg: fmt.Sprintf(format, a...), Source: d.source(p)})
}

func (d *decoder) errorf(n ast.Node, path, format string, a ...any) {
	d.errAt(d.posOf(n), path, format, a...)
}

// parseDoc parses src and returns its single document's body (nil for an empty file).
func (d *decoder) parseDoc(src []byte) (ast.Node, bool) {
	f, err := parseYAML(src)
	if err != nil {
		d.syntaxError(err)
		return nil, false
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch len(bodies) {
	case 0:
		return nil, true
	case 1:
		return bodies[0], true
	}
	d.errorf(bodies[1], "", "a scenario file holds one YAML document; found %d (remove the second '---')", len(bodies))
	return nil, false
}

// parseYAML runs goccy/go-yaml's parser. A panic inside the library on hostile input
// becomes a syntax error: user input never crashes logsim.
func parseYAML(src []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this input (%v)", r)
		}
	}()
	return parser.ParseBytes(src, 0)
}

// syntaxError reports a YAML parse error at its token.
func (d *decoder) syntaxError(err error) {
	p := Pos{File: d.file, Flag: d.flag}
	msg := err.Error()
	var se *yaml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Message
		if tk := se.Token; tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
	}
	d.errAt(p, "", "YAML syntax: %s", msg)
}

// follow follows anchors and aliases and rejects tags.
func (d *decoder) follow(n ast.Node, path string) (ast.Node, bool) {
	for i := 0; i < maxDepth; i++ {
		switch x := n.(type) {
		case *ast.AnchorNode:
			if x.Name != nil {
				d.anchors[x.Name.GetToken().Value] = x.Value
			}
			n = x.Value
		case *ast.AliasNode:
			name := ""
			if x.Value != nil {
				name = x.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errorf(n, path, "alias *%s names no anchor defined before it", name)
				return nil, false
			}
			n = target
		case *ast.TagNode:
			d.errorf(n, path, "YAML tags such as %s are not supported; write the value alone", x.Start.Value)
			return nil, false
		default:
			return n, true
		}
	}
	d.errorf(n, path, "aliases nest too deeply")
	return nil, false
}

// scalar returns a scalar node's text, or false for a collection or null.
func scalar(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", true
		}
		return x.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return x.GetToken().Value, true
	}
	return "", false
}

func kindName(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "nothing (null)"
	}
	return "a scalar"
}

// field describes one key of a struct.
type field struct {
	key       string
	index     int
	omitempty bool
	doc       string
	def       string // the default as shown in the reference, when not the zero value
}

var fieldCache sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("yaml")
		if !ok || tag == "-" || !sf.IsExported() {
			continue
		}
		key, opts, _ := strings.Cut(tag, ",")
		out = append(out, field{key: key, index: i, omitempty: strings.Contains(opts, "omitempty"),
			doc: sf.Tag.Get("doc"), def: sf.Tag.Get("default")})
	}
	fieldCache.Store(t, out)
	return out
}

func keysOf(t reflect.Type) []string {
	var keys []string
	for _, f := range fieldsOf(t) {
		keys = append(keys, f.key)
	}
	return keys
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decode reads node n into v, which must be settable.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errorf(n, path, "the document is too large (more than %d values after expanding aliases)", maxNodes)
		}
		return
	}
	if d.depth >= maxDepth {
		d.errorf(n, path, "the document nests too deeply")
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	n, ok := d.follow(n, path)
	if !ok {
		return
	}
	if path != "" {
		d.pos[path] = d.posOf(n)
	}
	if v.CanAddr() {
		switch u := v.Addr().Interface().(type) {
		case nodeDecoder:
			u.decodeNode(d, n, path)
			return
		case encoding.TextUnmarshaler:
			text, ok := scalar(n)
			if !ok {
				d.errorf(n, path, "expected a value (%s), found %s", accepted(v.Type()), kindName(n))
				return
			}
			if err := u.UnmarshalText([]byte(text)); err != nil {
				d.errorf(n, path, "%v", err)
			}
			return
		}
	}
	_, isNull := n.(*ast.NullNode)
	switch v.Kind() {
	case reflect.Pointer:
		if isNull {
			v.SetZero()
			return
		}
		if v.IsNil() {
			nv := reflect.New(v.Type().Elem())
			if df, ok := nv.Interface().(defaulter); ok {
				df.setDefaults()
			}
			v.Set(nv)
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		if isNull {
			return // keep the defaults
		}
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path, isNull)
	case reflect.Map:
		d.decodeMap(n, v, path, isNull)
	default:
		d.decodeScalar(n, v, path, isNull)
	}
}

// mappingEntries returns the key/value pairs of a mapping node.
func mappingEntries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// keyText returns a mapping key as text.
func (d *decoder) keyText(mv *ast.MappingValueNode, path string) (string, bool) {
	if mv.Key == nil {
		d.errorf(mv, path, "a mapping entry without a key")
		return "", false
	}
	if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
		d.errorf(mv.Key, path, "merge keys (<<) are not supported; use an anchor on the whole value or repeat the keys")
		return "", false
	}
	key, ok := scalar(mv.Key)
	if !ok {
		d.errorf(mv.Key, path, "a mapping key must be a plain name, found %s", kindName(mv.Key))
		return "", false
	}
	return key, true
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	entries, ok := mappingEntries(n)
	if !ok {
		d.errorf(n, path, "expected a mapping of %s, found %s", strings.Join(keysOf(v.Type()), ", "), kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for _, mv := range entries {
		key, ok := d.keyText(mv, path)
		if !ok {
			continue
		}
		if seen[key] {
			d.errorf(mv.Key, path, "duplicate key %q", key)
			continue
		}
		seen[key] = true
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == key })
		if i < 0 {
			d.unknownKey(mv.Key, v.Type(), key, path)
			continue
		}
		d.decode(mv.Value, v.Field(fields[i].index), child(path, key))
	}
}

// unknownKey reports a key the struct does not have, with the nearest known key, or the
// place the key belongs when it is a key of a nested section (acks under config).
func (d *decoder) unknownKey(n ast.Node, t reflect.Type, key, path string) {
	keys := keysOf(t)
	hint := ""
	if near, ok := nearest(key, keys); ok {
		hint = fmt.Sprintf("; did you mean %s?", near)
	} else {
		for _, f := range fieldsOf(t) {
			ft := t.Field(f.index).Type
			if ft.Kind() == reflect.Struct && slices.Contains(keysOf(ft), key) {
				hint = fmt.Sprintf("; %s is a key of %s: write it under %s:", key, f.key, f.key)
				break
			}
		}
	}
	if hint == "" {
		if h, ok := misplaced[key]; ok {
			hint = "; " + h
		}
	}
	d.errorf(n, path, "unknown key %s%s (accepted: %s)", key, hint, strings.Join(keys, ", "))
}

// misplaced explains Kafka keys that exist at another level than where they were written.
var misplaced = map[string]string{
	"group.id":          "write the group as the consumer's group: key",
	"bootstrap.servers": "the cluster is simulated: there is nothing to connect to",
	"transactional.id":  "transactions are not modelled (see broker/SKIPPED.md)",
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string, isNull bool) {
	if isNull {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		et := v.Type().Elem()
		_, isScalar := scalar(n)
		if isScalar && (et.Kind() != reflect.Struct || reflect.PointerTo(et).Implements(textUnmarshalerType)) {
			// A single value stands for a list of one.
			s := reflect.MakeSlice(v.Type(), 1, 1)
			d.decode(n, s.Index(0), elem(path, 0))
			v.Set(s)
			return
		}
		d.errorf(n, path, "expected a list, found %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		e := s.Index(i)
		if df, ok := e.Addr().Interface().(defaulter); ok {
			df.setDefaults()
		}
		d.decode(item, e, elem(path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string, isNull bool) {
	if isNull {
		v.SetZero()
		return
	}
	entries, ok := mappingEntries(n)
	if !ok {
		d.errorf(n, path, "expected a mapping, found %s", kindName(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic(fmt.Sprintf("scenarios: map with %s keys at %s", v.Type().Key(), display(path)))
	}
	m := reflect.MakeMapWithSize(v.Type(), len(entries))
	for _, mv := range entries {
		key, ok := d.keyText(mv, path)
		if !ok {
			continue
		}
		kv := reflect.ValueOf(key).Convert(v.Type().Key())
		if m.MapIndex(kv).IsValid() {
			d.errorf(mv.Key, path, "duplicate key %q", key)
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(mv.Value, e, child(path, key))
		m.SetMapIndex(kv, e)
	}
	v.Set(m)
}

func (d *decoder) decodeScalar(n ast.Node, v reflect.Value, path string, isNull bool) {
	text, ok := scalar(n)
	if !ok {
		if isNull {
			d.errorf(n, path, "missing value; accepted: %s", accepted(v.Type()))
		} else {
			d.errorf(n, path, "expected %s, found %s", accepted(v.Type()), kindName(n))
		}
		return
	}
	fail := func() { d.errorf(n, path, "%q is not valid here; accepted: %s", text, accepted(v.Type())) }
	if v.Type() == durationType {
		dur, err := parseDuration(text)
		if err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		switch text {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			fail()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(text, "_", ""), 0, v.Type().Bits())
		if err != nil {
			fail()
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(strings.ReplaceAll(text, "_", ""), 0, v.Type().Bits())
		if err != nil {
			fail()
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			fail()
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("scenarios: cannot decode into %s at %s", v.Type(), display(path)))
	}
}

// parseDuration reads a Go duration such as 60s or 1m30s; a bare 0 is accepted.
func parseDuration(text string) (time.Duration, error) {
	t := strings.TrimSpace(text)
	if t == "0" {
		return 0, nil
	}
	dur, err := time.ParseDuration(t)
	if err != nil {
		if _, numErr := strconv.ParseFloat(t, 64); numErr == nil {
			return 0, fmt.Errorf("%s needs a unit; accepted: a duration such as %ss, 500ms or 1m30s", t, t)
		}
		return 0, fmt.Errorf("%q is not a duration; accepted: a number with a unit (ns, us, ms, s, m, h) such as 60s or 1m30s", t)
	}
	return dur, nil
}

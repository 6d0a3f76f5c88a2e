package scenarios

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"logsim/faults"
)

// applySet applies one --set PATH=VALUE. PATH is a chain of keys; Kafka keys keep their
// dots (producers.p.config.linger.ms), list elements are chosen by name or index
// (producers.p, topics.0). VALUE is YAML: a scalar (10, all, 5s), a list ([a, b]) or a
// flow mapping ({acks: all}).
func (d *decoder) applySet(s *Scenario, arg string) {
	d.flag = "--set " + arg
	defer func() { d.flag = "" }()
	path, value, ok := strings.Cut(arg, "=")
	if !ok || strings.TrimSpace(path) == "" {
		d.errAt(Pos{Flag: d.flag}, "", "expected PATH=VALUE, such as producers.p.config.linger.ms=10 or cluster.brokers=5")
		return
	}
	apply, ok := d.locate(reflect.ValueOf(s).Elem(), strings.Split(strings.TrimSpace(path), "."), "")
	if !ok {
		return
	}
	var node ast.Node = &ast.NullNode{BaseNode: &ast.BaseNode{}}
	if strings.TrimSpace(value) != "" {
		body, ok := d.parseDoc([]byte(value))
		if !ok {
			return
		}
		if body != nil {
			node = body
		}
	}
	apply(node)
}

// locate finds the value at the key chain segs below v and returns a function that
// decodes a node into it.
func (d *decoder) locate(v reflect.Value, segs []string, path string) (func(ast.Node), bool) {
	if len(segs) == 0 {
		return func(n ast.Node) { d.decode(n, v, path) }, true
	}
	fail := func(format string, a ...any) (func(ast.Node), bool) {
		d.errAt(Pos{Flag: d.flag}, path, format, a...)
		return nil, false
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.locate(v.Elem(), segs, path)
	case reflect.Struct:
		if ref, ok := v.Addr().Interface().(*HardwareRef); ok {
			if len(segs) == 1 && segs[0] == "profile" {
				return func(n ast.Node) { d.decode(n, v, path) }, true
			}
			if !ref.ensure(d, nil, path) {
				return nil, false
			}
			return d.locate(v.FieldByName("Hardware"), segs, path)
		}
		fields := fieldsOf(v.Type())
		for k := len(segs); k >= 1; k-- {
			key := strings.Join(segs[:k], ".")
			if i := slices.IndexFunc(fields, func(f field) bool { return f.key == key }); i >= 0 {
				return d.locate(v.Field(fields[i].index), segs[k:], child(path, key))
			}
		}
		rest := strings.Join(segs, ".")
		msg := "unknown key " + rest
		if near, ok := nearest(rest, keysOf(v.Type())); ok {
			msg += "; did you mean " + near + "?"
		} else if near, ok := nearest(segs[0], keysOf(v.Type())); ok {
			msg += "; did you mean " + near + "?"
		}
		return fail("%s (accepted: %s)", msg, strings.Join(keysOf(v.Type()), ", "))
	case reflect.Slice:
		i, names := -1, []string{}
		for j := 0; j < v.Len(); j++ {
			name := elementName(v.Index(j), j)
			names = append(names, name)
			if name == segs[0] {
				i = j
			}
		}
		if i < 0 && v.Len() == 0 {
			return fail("the list is empty: set the whole list instead, such as %s=[{...}]", display(path))
		}
		if n, err := strconv.Atoi(segs[0]); err == nil && i < 0 {
			if n < 0 || n >= v.Len() {
				return fail("index %d is out of range: the list has %d elements", n, v.Len())
			}
			i = n
		}
		if i < 0 {
			return fail("no element named %s; accepted: an index from 0 to %d, or a name: %s", segs[0], v.Len()-1, strings.Join(names, ", "))
		}
		return d.locate(v.Index(i), segs[1:], elem(path, i))
	case reflect.Map:
		key := strings.Join(segs, ".")
		return func(n ast.Node) {
			if v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(n, e, child(path, key))
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), e)
		}, true
	}
	return fail("%s is a single value; it has no key %s", display(path), strings.Join(segs, "."))
}

// elementName is how --set names a list element: its name, or for faults their label.
func elementName(v reflect.Value, i int) string {
	if f, ok := v.Addr().Interface().(*faults.Spec); ok {
		return f.Label(i)
	}
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("Name"); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
			return f.String()
		}
	}
	return strconv.Itoa(i)
}

package scenarios

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
)

// Reference returns the Markdown reference of every scenario key, generated from the Go
// types: for each key its default, the values it accepts and what it means.
// scenarios/README.md embeds it (a test keeps the two equal).
func Reference() string {
	var b strings.Builder
	def := Default()
	h, err := LoadHardware(DefaultProfile)
	if err != nil {
		panic(fmt.Sprintf("scenarios: the default hardware profile does not load: %v", err))
	}
	def.Hardware.Hardware = *h

	top := reflect.ValueOf(def).Elem()
	b.WriteString("### Top level\n\n")
	var sections []field
	var rows []row
	for _, f := range fieldsOf(top.Type()) {
		fv := top.Field(f.index)
		switch {
		case f.key == "hardware" || isSection(fv.Type()):
			sections = append(sections, f)
			rows = append(rows, row{key: f.key, def: "", accepted: "see below", doc: f.doc})
		default:
			rows = append(rows, rowFor(f, fv))
		}
	}
	writeTable(&b, rows)
	for _, f := range sections {
		fv := top.Field(f.index)
		name := f.key
		switch fv.Kind() {
		case reflect.Slice:
			name += "[]"
			e := reflect.New(fv.Type().Elem())
			if df, ok := e.Interface().(defaulter); ok {
				df.setDefaults()
			}
			fv = e.Elem()
		case reflect.Map:
			fmt.Fprintf(&b, "\n### `%s`\n\n%s. Keys are --set paths; values are lists of values as --set takes them.\n", name, capitalize(f.doc))
			continue
		}
		if f.key == "hardware" {
			fmt.Fprintf(&b, "\n### `hardware`\n\n%s. A profile file has the same keys (without profile). Defaults: %s.\n\n", capitalize(f.doc), DefaultProfile)
			writeTable(&b, append([]row{{key: "profile", def: DefaultProfile, accepted: strings.Join(Profiles(), ", ") + ", " + NoProfile + ", or a path", doc: "the profile the other keys override"}},
				flatten("", reflect.ValueOf(def.Hardware.Hardware))...))
			continue
		}
		fmt.Fprintf(&b, "\n### `%s`\n\n%s.\n\n", name, capitalize(f.doc))
		writeTable(&b, flatten("", fv))
	}
	return b.String()
}

// isSection reports whether a top-level value gets its own table.
func isSection(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		return !reflect.PointerTo(t).Implements(textUnmarshalerType) && t != durationType
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Struct
	case reflect.Map:
		return true
	}
	return false
}

type row struct{ key, def, accepted, doc string }

func rowFor(f field, v reflect.Value) row {
	def := f.def
	if def == "" {
		def = formatDefault(v)
	}
	return row{key: f.key, def: def, accepted: accepted(v.Type()), doc: f.doc}
}

// flatten lists the keys of a struct, nested structs as dotted keys.
func flatten(prefix string, v reflect.Value) []row {
	var rows []row
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		key := prefix + f.key
		if fv.Kind() == reflect.Struct && !reflect.PointerTo(fv.Type()).Implements(textUnmarshalerType) {
			rows = append(rows, flatten(key+".", fv)...)
			continue
		}
		r := rowFor(f, fv)
		r.key = key
		rows = append(rows, r)
	}
	return rows
}

// formatDefault prints a default value as it would appear in a file.
func formatDefault(v reflect.Value) string {
	if v.Kind() == reflect.Slice && v.Len() == 0 {
		return "[]"
	}
	if v.Kind() == reflect.Map && v.Len() == 0 {
		return "{}"
	}
	if v.IsZero() && v.Kind() == reflect.String {
		return ""
	}
	out, err := yaml.MarshalWithOptions(encodeValue(v), yaml.Flow(true))
	if err != nil {
		panic(fmt.Sprintf("scenarios: default of %s: %v", v.Type(), err))
	}
	return strings.TrimSpace(string(out))
}

func writeTable(b *strings.Builder, rows []row) {
	b.WriteString("| key | default | accepted | meaning |\n|---|---|---|---|\n")
	esc := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	for _, r := range rows {
		def := r.def
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", r.key, esc(def), esc(r.accepted), esc(r.doc))
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

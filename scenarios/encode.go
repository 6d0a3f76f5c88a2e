package scenarios

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"

	"github.com/goccy/go-yaml"
)

type mapSlice = yaml.MapSlice

// yamlValuer is implemented by types that choose their own YAML form (Kafka's numbers
// for Millis and Bytes, the hardware mapping).
type yamlValuer interface{ yamlValue() any }

var textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()

// encodeValue turns v into plain values, ordered mappings and lists for the YAML
// encoder, in the format the decoder reads back.
func encodeValue(v reflect.Value) any {
	if y, ok := v.Interface().(yamlValuer); ok {
		return y.yamlValue()
	}
	if v.Type() == durationType {
		return v.Interface().(fmt.Stringer).String()
	}
	if v.Type().Implements(textMarshalerType) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			panic(fmt.Sprintf("scenarios: MarshalText of %s: %v", v.Type(), err))
		}
		return string(b)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return encodeValue(v.Elem())
	case reflect.Struct:
		out := mapSlice{}
		for _, f := range fieldsOf(v.Type()) {
			fv := v.Field(f.index)
			if f.omitempty && fv.IsZero() {
				continue
			}
			out = append(out, yaml.MapItem{Key: f.key, Value: encodeValue(fv)})
		}
		return out
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = encodeValue(v.Index(i))
		}
		return out
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		out := mapSlice{}
		for _, k := range keys {
			out = append(out, yaml.MapItem{Key: k, Value: encodeValue(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())))})
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	panic(fmt.Sprintf("scenarios: cannot encode %s", v.Type()))
}

// Marshal writes the scenario as YAML: every key, in the order of the reference, so
// that the output loads back to the same Scenario.
func (s *Scenario) Marshal() ([]byte, error) {
	return yaml.MarshalWithOptions(encodeValue(reflect.ValueOf(s).Elem()), yaml.IndentSequence(true))
}

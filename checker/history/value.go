package history

import (
	"strconv"
)

// Value is a record value: a JSON integer or a JSON string. Both forms are kept as
// written, so Int(1) and String("1") are different values. The zero Value is the
// integer 0. Values are comparable and may be used as map keys.
type Value struct {
	str   string
	num   int64
	isStr bool
}

// Int returns the integer value n.
func Int(n int64) Value { return Value{num: n} }

// String returns the string value s.
func String(s string) Value { return Value{str: s, isStr: true} }

// IsString reports whether v is a string value.
func (v Value) IsString() bool { return v.isStr }

// Int returns v's integer (0 for a string value).
func (v Value) Int() int64 { return v.num }

// Str returns v's string ("" for an integer value).
func (v Value) Str() string { return v.str }

// String renders v for people: integers in decimal, strings quoted as in JSON.
func (v Value) String() string {
	return string(v.AppendJSON(nil))
}

// AppendJSON appends v's JSON form to b.
func (v Value) AppendJSON(b []byte) []byte {
	if v.isStr {
		return appendJSONString(b, v.str)
	}
	return strconv.AppendInt(b, v.num, 10)
}

// MarshalJSON encodes v as a JSON integer or string.
func (v Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// UnmarshalJSON decodes a JSON integer or string.
func (v *Value) UnmarshalJSON(b []byte) error {
	s := scanner{b: b}
	s.ws()
	val, err := s.value()
	if err != nil {
		return err
	}
	s.ws()
	if s.pos != len(b) {
		return s.errf("unexpected %s after the value", s.describe())
	}
	*v = val
	return nil
}

// Compare orders values: integers before strings, integers numerically, strings
// lexically. It returns -1, 0 or +1.
func (v Value) Compare(w Value) int {
	switch {
	case v.isStr != w.isStr:
		if !v.isStr {
			return -1
		}
		return 1
	case v.isStr:
		switch {
		case v.str < w.str:
			return -1
		case v.str > w.str:
			return 1
		}
		return 0
	case v.num < w.num:
		return -1
	case v.num > w.num:
		return 1
	}
	return 0
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal, escaping what JSON requires.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

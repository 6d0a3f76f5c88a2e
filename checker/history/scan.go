package history

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small JSON scanner over one line. It decodes exactly the shapes the
// format uses, straight into typed fields, because a generic decoder costs several
// allocations per value and a harness may record millions of lines.
type scanner struct {
	b   []byte
	pos int
	// intern, when set, shares one string per distinct key.
	intern map[string]string
	// Scratch slices collect a line's micro-operations and records; keep copies them
	// into chunks shared by many operations, so that a history of millions of lines
	// costs a few large allocations instead of a growing slice per operation.
	mopScratch []Mop
	krScratch  []KeyRecords
	recScratch []Record
	own        arenas // ReadInto's: the caller keeps the slices
	// shared (ReadShared) lines use arenas of their own, emptied at each such line:
	// the caller copies what it keeps, so nothing is allocated per line.
	shared bool
	reused arenas
}

// arenas holds the chunks a line's slices are copied into (see keep).
type arenas struct {
	mops []Mop
	krs  []KeyRecords
	recs []Record
}

// arena returns the arenas the current line's slices go to.
func (s *scanner) arena() *arenas {
	if s.shared {
		return &s.reused
	}
	return &s.own
}

const arenaChunk = 4096

// keep copies xs into the arena (a fresh chunk when it is full) and returns the copy,
// with its capacity capped so that appending to it never touches a neighbour.
func keep[T any](arena *[]T, xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	if cap(*arena)-len(*arena) < len(xs) {
		*arena = make([]T, 0, max(arenaChunk, len(xs)))
	}
	start := len(*arena)
	*arena = append(*arena, xs...)
	return (*arena)[start:len(*arena):len(*arena)]
}

// colError is a problem at a byte column of the current line.
type colError struct {
	col int
	msg string
}

// Error formats the problem with its column.
func (e *colError) Error() string { return fmt.Sprintf("column %d: %s", e.col, e.msg) }

func (s *scanner) errf(format string, args ...any) error {
	return &colError{col: s.pos + 1, msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) errAt(pos int, format string, args ...any) error {
	return &colError{col: pos + 1, msg: fmt.Sprintf(format, args...)}
}

// describe names what is at the cursor, for error messages.
func (s *scanner) describe() string {
	if s.pos >= len(s.b) {
		return "end of line"
	}
	c := s.b[s.pos]
	switch {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c < 0x20 || c >= 0x7f:
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return fmt.Sprintf("%q", c)
}

func (s *scanner) ws() {
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.b) {
		return s.b[s.pos]
	}
	return 0
}

func (s *scanner) expect(c byte, what string) error {
	if s.peek() != c {
		return s.errf("expected %s, found %s", what, s.describe())
	}
	s.pos++
	return nil
}

// more handles the separator of an array or object: it returns false at the closing
// byte (consumed), true after a comma, and an error otherwise. first says whether no
// element has been read yet.
func (s *scanner) more(close byte, first bool) (bool, error) {
	c := s.peek()
	if c == close {
		s.pos++
		return false, nil
	}
	if first {
		return true, nil
	}
	if c != ',' {
		return false, s.errf("expected ',' or '%c', found %s", close, s.describe())
	}
	s.pos++
	return true, nil
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && s.pos+4 <= len(s.b) && string(s.b[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

func (s *scanner) boolean() (bool, error) {
	s.ws()
	if s.pos+4 <= len(s.b) && string(s.b[s.pos:s.pos+4]) == "true" {
		s.pos += 4
		return true, nil
	}
	if s.pos+5 <= len(s.b) && string(s.b[s.pos:s.pos+5]) == "false" {
		s.pos += 5
		return false, nil
	}
	return false, s.errf("expected true or false, found %s", s.describe())
}

// int reads a JSON integer that fits in 64 bits.
func (s *scanner) int(what string) (int64, error) {
	s.ws()
	start := s.pos
	if s.pos < len(s.b) && s.b[s.pos] == '-' {
		s.pos++
	}
	digits := s.pos
	for s.pos < len(s.b) && s.b[s.pos] >= '0' && s.b[s.pos] <= '9' {
		s.pos++
	}
	if s.pos == digits {
		s.pos = start
		return 0, s.errf("expected %s (an integer), found %s", what, s.describe())
	}
	if s.pos < len(s.b) && (s.b[s.pos] == '.' || s.b[s.pos] == 'e' || s.b[s.pos] == 'E') {
		return 0, s.errAt(start, "%s must be an integer, not a fraction or exponent", what)
	}
	if s.b[digits] == '0' && s.pos-digits > 1 {
		return 0, s.errAt(start, "%s: leading zeros are not allowed in JSON numbers", what)
	}
	// Accumulate as a negative number so that the minimum int64 parses too.
	var n int64
	for _, c := range s.b[digits:s.pos] {
		d := int64(c - '0')
		if n < (math.MinInt64+d)/10 {
			return 0, s.errAt(start, "%s %s does not fit in a 64-bit integer", what, s.b[start:s.pos])
		}
		n = n*10 - d
	}
	if s.b[start] != '-' {
		if n == math.MinInt64 {
			return 0, s.errAt(start, "%s %s does not fit in a 64-bit integer", what, s.b[start:s.pos])
		}
		n = -n
	}
	return n, nil
}

// nonNegative reads an integer >= 0.
func (s *scanner) nonNegative(what string) (int64, error) {
	start := s.pos
	n, err := s.int(what)
	if err == nil && n < 0 {
		return 0, s.errAt(start, "%s must not be negative, got %d", what, n)
	}
	return n, err
}

// offset reads an offset: a non-negative integer or null (NoOffset).
func (s *scanner) offset() (int64, error) {
	if s.null() {
		return NoOffset, nil
	}
	s.ws()
	start := s.pos
	n, err := s.int("an offset")
	if err != nil {
		return 0, s.errAt(start, "expected an offset (an integer >= 0 or null), found %s", s.describe())
	}
	if n < 0 {
		return 0, s.errAt(start, "an offset must not be negative, got %d", n)
	}
	return n, nil
}

// rawString reads a JSON string and returns its decoded bytes. The result aliases the
// line when the string has no escapes, so callers copy what they keep.
func (s *scanner) rawString(what string) ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errf("expected %s (a string), found %s", what, s.describe())
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		if c == '"' {
			out := s.b[start:s.pos]
			s.pos++
			return out, nil
		}
		if c == '\\' {
			return s.escapedString(start)
		}
		if c < 0x20 {
			return nil, s.errf("control character 0x%02x inside a string: escape it", c)
		}
		s.pos++
	}
	return nil, s.errAt(start-1, "unterminated string")
}

func (s *scanner) escapedString(start int) ([]byte, error) {
	out := append([]byte(nil), s.b[start:s.pos]...)
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		switch {
		case c == '"':
			s.pos++
			return out, nil
		case c < 0x20:
			return nil, s.errf("control character 0x%02x inside a string: escape it", c)
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.b) {
			break
		}
		e := s.b[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, s.errf("\\u must be followed by 4 hex digits")
			}
			if utf16.IsSurrogate(r) {
				if s.pos+1 < len(s.b) && s.b[s.pos] == '\\' && s.b[s.pos+1] == 'u' {
					save := s.pos
					s.pos += 2
					r2, ok := s.hex4()
					if ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							continue
						}
					}
					s.pos = save
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.errAt(s.pos-2, "invalid escape \\%c in a string (accepted: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", e)
		}
	}
	return nil, s.errAt(start-1, "unterminated string")
}

func (s *scanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.pos : s.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

func (s *scanner) string(what string) (string, error) {
	b, err := s.rawString(what)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// key reads a string that is likely to repeat (a key, topic or group) and interns it.
func (s *scanner) key(what string) (string, error) {
	b, err := s.rawString(what)
	if err != nil {
		return "", err
	}
	if s.intern == nil {
		return string(b), nil
	}
	if k, ok := s.intern[string(b)]; ok {
		return k, nil
	}
	k := string(b)
	if len(s.intern) < 1<<16 {
		s.intern[k] = k
	}
	return k, nil
}

// value reads a record value: a JSON integer or string.
func (s *scanner) value() (Value, error) {
	c := s.peek()
	if c == '"' {
		str, err := s.string("a value")
		return String(str), err
	}
	if c == '-' || (c >= '0' && c <= '9') {
		n, err := s.int("a value")
		return Int(n), err
	}
	return Value{}, s.errf("expected a value (a JSON integer or string), found %s", s.describe())
}

// skip passes over any JSON value, checking its syntax.
func (s *scanner) skip(depth int) error {
	if depth > 64 {
		return s.errf("values nest deeper than 64 levels")
	}
	switch c := s.peek(); {
	case c == '"':
		_, err := s.rawString("a string")
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.pos
		if c == '-' {
			s.pos++
		}
		for s.pos < len(s.b) && (s.b[s.pos] >= '0' && s.b[s.pos] <= '9' || s.b[s.pos] == '.' || s.b[s.pos] == 'e' || s.b[s.pos] == 'E' || s.b[s.pos] == '+' || s.b[s.pos] == '-') {
			s.pos++
		}
		if _, err := strconv.ParseFloat(string(s.b[start:s.pos]), 64); err != nil {
			return s.errAt(start, "malformed number %q", s.b[start:s.pos])
		}
		return nil
	case c == 't' || c == 'f':
		_, err := s.boolean()
		return err
	case c == 'n':
		if !s.null() {
			return s.errf("expected null, found %s", s.describe())
		}
		return nil
	case c == '[':
		s.pos++
		return s.items(']', func() error { return s.skip(depth + 1) })
	case c == '{':
		s.pos++
		return s.items('}', func() error {
			if _, err := s.rawString("a field name"); err != nil {
				return err
			}
			if err := s.expect(':', "':'"); err != nil {
				return err
			}
			return s.skip(depth + 1)
		})
	}
	return s.errf("expected a JSON value, found %s", s.describe())
}

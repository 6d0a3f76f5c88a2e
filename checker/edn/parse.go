package edn

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type kind uint8

const (
	kNil kind = iota
	kBool
	kInt
	kFloat
	kString
	kKeyword
	kSymbol
	kVector
	kList
	kSet
	kMap
)

var kindNames = [...]string{kNil: "nil", kBool: "a boolean", kInt: "an integer", kFloat: "a floating-point number", kString: "a string",
	kKeyword: "a keyword", kSymbol: "a symbol", kVector: "a vector", kList: "a list", kSet: "a set", kMap: "a map"}

// node is one parsed EDN form. Maps keep their entries as alternating keys and values.
type node struct {
	kind      kind
	s         string // string, keyword (without ':'), symbol, float text
	n         int64  // integer; bool as 0/1
	items     []node
	line, col int
}

func (n *node) describe() string { return kindNames[n.kind] }

// get returns a map's value for keyword name, or nil.
func (n *node) get(name string) *node {
	for i := 0; i+1 < len(n.items); i += 2 {
		k := &n.items[i]
		if k.kind == kKeyword && k.s == name {
			return &n.items[i+1]
		}
	}
	return nil
}

// Error is a problem at a position of an EDN file.
type Error struct {
	File         string // file name as given
	Line, Column int    // 1-based; the column counts bytes
	Msg          string // what is wrong and what is accepted
}

// Error formats the problem as "file:line:column: message".
func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg) }

type parser struct {
	src       []byte
	pos       int
	line, col int
	file      string
}

func (p *parser) errf(line, col int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) advance() byte {
	c := p.src[p.pos]
	p.pos++
	if c == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
	return c
}

// skipSpace passes whitespace, commas and comments.
func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f':
			p.advance()
		case c == ';':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.advance()
			}
		default:
			return
		}
	}
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', '\f', '(', ')', '[', ']', '{', '}', '"', ';':
		return true
	}
	return false
}

const maxDepth = 256

// form reads one form; ok is false at the end of input.
func (p *parser) form(depth int) (node, bool, error) {
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return node{}, false, nil
		}
		if p.src[p.pos] == '#' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '_' {
			line, col := p.line, p.col
			p.advance()
			p.advance()
			_, ok, err := p.form(depth + 1)
			if err != nil {
				return node{}, false, err
			}
			if !ok {
				return node{}, false, p.errf(line, col, "#_ discards nothing: the file ends")
			}
			continue
		}
		break
	}
	if depth > maxDepth {
		return node{}, false, p.errf(p.line, p.col, "forms nest deeper than %d levels", maxDepth)
	}
	line, col := p.line, p.col
	c := p.src[p.pos]
	switch c {
	case '[', '(', '{':
		p.advance()
		close, k := byte(']'), kVector
		if c == '(' {
			close, k = ')', kList
		} else if c == '{' {
			close, k = '}', kMap
		}
		items, err := p.seq(close, depth, line, col)
		if err != nil {
			return node{}, false, err
		}
		if k == kMap && len(items)%2 != 0 {
			return node{}, false, p.errf(line, col, "a map needs an even number of forms (key value pairs), got %d", len(items))
		}
		return node{kind: k, items: items, line: line, col: col}, true, nil
	case ')', ']', '}':
		return node{}, false, p.errf(line, col, "unexpected %q without a matching opening bracket", c)
	case '"':
		s, err := p.str()
		return node{kind: kString, s: s, line: line, col: col}, err == nil, err
	case '#':
		p.advance()
		if p.pos < len(p.src) && p.src[p.pos] == '{' {
			p.advance()
			items, err := p.seq('}', depth, line, col)
			return node{kind: kSet, items: items, line: line, col: col}, err == nil, err
		}
		// A tagged literal: #tag form. The tag is dropped; the form stands for itself.
		tag := p.token()
		if tag == "" {
			return node{}, false, p.errf(line, col, "'#' must start a set #{...}, a discard #_ or a tagged literal #tag form")
		}
		n, ok, err := p.form(depth + 1)
		if err != nil {
			return node{}, false, err
		}
		if !ok {
			return node{}, false, p.errf(line, col, "tagged literal #%s has no form", tag)
		}
		return n, true, nil
	case '\\':
		p.advance()
		tok := p.token()
		if tok == "" && p.pos < len(p.src) {
			tok = string(p.advance())
		}
		switch tok {
		case "newline":
			tok = "\n"
		case "space":
			tok = " "
		case "tab":
			tok = "\t"
		}
		return node{kind: kString, s: tok, line: line, col: col}, true, nil
	case ':':
		p.advance()
		tok := p.token()
		if tok == "" {
			return node{}, false, p.errf(line, col, "':' must be followed by a keyword name")
		}
		return node{kind: kKeyword, s: strings.TrimPrefix(tok, ":"), line: line, col: col}, true, nil
	}
	tok := p.token()
	if tok == "" {
		r, _ := utf8.DecodeRune(p.src[p.pos:])
		return node{}, false, p.errf(line, col, "unexpected character %q", r)
	}
	switch tok {
	case "nil":
		return node{kind: kNil, line: line, col: col}, true, nil
	case "true":
		return node{kind: kBool, n: 1, line: line, col: col}, true, nil
	case "false":
		return node{kind: kBool, line: line, col: col}, true, nil
	}
	if d := tok[0]; d >= '0' && d <= '9' || ((d == '-' || d == '+') && len(tok) > 1 && tok[1] >= '0' && tok[1] <= '9') {
		t := strings.TrimSuffix(tok, "N")
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			return node{kind: kInt, n: n, line: line, col: col}, true, nil
		}
		if _, err := strconv.ParseFloat(strings.TrimSuffix(tok, "M"), 64); err == nil {
			return node{kind: kFloat, s: tok, line: line, col: col}, true, nil
		}
		return node{}, false, p.errf(line, col, "malformed or out-of-range number %q (accepted: 64-bit integers, floats)", tok)
	}
	return node{kind: kSymbol, s: tok, line: line, col: col}, true, nil
}

func (p *parser) seq(close byte, depth, line, col int) ([]node, error) {
	var items []node
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errf(line, col, "unclosed collection: expected %q before the end of the file", close)
		}
		if p.src[p.pos] == close {
			p.advance()
			return items, nil
		}
		n, ok, err := p.form(depth + 1)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.errf(line, col, "unclosed collection: expected %q before the end of the file", close)
		}
		items = append(items, n)
	}
}

func (p *parser) token() string {
	start := p.pos
	for p.pos < len(p.src) && !isDelim(p.src[p.pos]) {
		p.advance()
	}
	return string(p.src[start:p.pos])
}

func (p *parser) str() (string, error) {
	line, col := p.line, p.col
	p.advance()
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.advance()
		if c == '"' {
			return b.String(), nil
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if p.pos >= len(p.src) {
			break
		}
		e := p.advance()
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '"', '\\':
			b.WriteByte(e)
		case 'u':
			if p.pos+4 > len(p.src) {
				return "", p.errf(p.line, p.col, "\\u must be followed by 4 hex digits")
			}
			r, err := strconv.ParseUint(string(p.src[p.pos:p.pos+4]), 16, 32)
			if err != nil {
				return "", p.errf(p.line, p.col, "\\u must be followed by 4 hex digits")
			}
			for range 4 {
				p.advance()
			}
			b.WriteRune(rune(r))
		default:
			return "", p.errf(p.line, p.col-2, "invalid escape \\%c in a string (accepted: \\n \\t \\r \\b \\f \\\" \\\\ \\uXXXX)", e)
		}
	}
	return "", p.errf(line, col, "unterminated string")
}

package history

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Error is a problem with one line of a history file.
type Error struct {
	File   string // file name as given to the reader
	Line   int    // 1-based line number
	Column int    // 1-based byte column; 0 when the problem is the whole line
	Msg    string // what is wrong and what is accepted
}

// Error formats the problem as "file:line:column: message".
func (e *Error) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// MaxLineBytes bounds one history line (a poll of many records makes long lines).
const MaxLineBytes = 64 << 20

// Reader reads a JSON Lines history one operation at a time, validating syntax, value
// shapes and structure (see Validator) as it goes.
type Reader struct {
	br   *bufio.Reader
	name string
	line int
	buf  []byte
	sc   scanner
	val  Validator
	err  error
}

// NewReader returns a Reader of r; name (usually the file name) prefixes errors.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{
		br:   bufio.NewReaderSize(r, 1<<16),
		name: name,
		sc:   scanner{intern: make(map[string]string)},
	}
}

// Read returns the next operation. At the end of the history it returns io.EOF; any
// other error is an *Error naming the line. After an error, Read keeps returning it.
func (r *Reader) Read() (Op, error) {
	var op Op
	err := r.ReadInto(&op)
	return op, err
}

// ReadInto is Read into a caller's Op, which it overwrites.
func (r *Reader) ReadInto(op *Op) error {
	r.sc.shared = false
	return r.read(op)
}

// ReadShared is ReadInto for callers that copy what they keep of each operation
// (a checker.Builder): op's slices point into buffers of the Reader that the next
// ReadShared overwrites, so reading allocates nothing per line. Operations read
// with ReadInto are not affected.
func (r *Reader) ReadShared(op *Op) error {
	r.sc.shared = true
	return r.read(op)
}

func (r *Reader) read(op *Op) error {
	if r.err != nil {
		return r.err
	}
	line, err := r.readLine()
	if err != nil {
		r.err = err
		return err
	}
	r.sc.b, r.sc.pos = line, 0
	if err := r.sc.parseLine(op); err != nil {
		var ce *colError
		if errors.As(err, &ce) {
			r.err = &Error{File: r.name, Line: r.line, Column: ce.col, Msg: ce.msg}
		} else {
			r.err = &Error{File: r.name, Line: r.line, Msg: err.Error()}
		}
		return r.err
	}
	if err := r.val.Check(op); err != nil {
		r.err = &Error{File: r.name, Line: r.line, Msg: err.Error()}
		return r.err
	}
	return nil
}

// Line returns the number of the line read last.
func (r *Reader) Line() int { return r.line }

// Pending returns the invoke indices of operations still outstanding (see
// Validator.Pending).
func (r *Reader) Pending() []int64 { return r.val.Pending() }

func (r *Reader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > MaxLineBytes {
			return nil, &Error{File: r.name, Line: r.line + 1, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		if err == bufio.ErrBufferFull {
			r.buf = append(r.buf, chunk...)
			continue
		}
		var line []byte
		if len(r.buf) > 0 {
			r.buf = append(r.buf, chunk...)
			line = r.buf
		} else {
			line = chunk
		}
		if err != nil && err != io.EOF {
			return nil, &Error{File: r.name, Line: r.line + 1, Msg: "read: " + err.Error()}
		}
		if len(line) == 0 && err == io.EOF {
			return nil, io.EOF
		}
		r.line++
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			return nil, &Error{File: r.name, Line: r.line, Msg: "blank line (a history has one JSON object on every line)"}
		}
		return line, nil
	}
}

// ReadAll reads a whole history from r.
func ReadAll(r io.Reader, name string) ([]Op, error) {
	rd := NewReader(r, name)
	var ops []Op
	for {
		var op Op
		err := rd.ReadInto(&op)
		if err == io.EOF {
			return ops, nil
		}
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
}

// ReadFile reads the history in the named file.
func ReadFile(path string) ([]Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path)
}

package history

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// Writer writes a history as JSON Lines. It validates each operation as the Reader
// would, so that a harness bug shows up where it happens rather than in the checker.
// Encoding appends bytes directly (no reflection) so that recording millions of
// operations stays cheap. Call Flush at the end.
type Writer struct {
	bw   *bufio.Writer
	buf  []byte
	val  Validator
	next int64 // index Append gives the next operation
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 1<<16)}
}

// Write validates op and appends it as one line.
func (w *Writer) Write(op *Op) error {
	if err := w.val.Check(op); err != nil {
		return fmt.Errorf("history: writing index %d: %w", op.Index, err)
	}
	w.next = op.Index + 1
	w.buf = AppendJSON(w.buf[:0], op)
	w.buf = append(w.buf, '\n')
	_, err := w.bw.Write(w.buf)
	return err
}

// Append sets op.Index to the next index of the history (0, 1, 2, ...) and writes it,
// so that recorders need not count lines themselves.
func (w *Writer) Append(op *Op) error {
	op.Index = w.next
	return w.Write(op)
}

// Flush writes buffered lines to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }

// AppendJSON appends op's JSON line (without a newline) to b.
func AppendJSON(b []byte, op *Op) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, op.Index, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, op.Time, 10)
	b = append(b, `,"process":`...)
	b = strconv.AppendInt(b, op.Process, 10)
	b = append(b, `,"type":"`...)
	b = append(b, op.Type.String()...)
	b = append(b, `","f":`...)
	b = appendJSONString(b, op.F)
	if op.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, op.Error)
	}
	if op.Group != "" {
		b = append(b, `,"group":`...)
		b = appendJSONString(b, op.Group)
	}
	if op.SeekToBeginning {
		b = append(b, `,"seek_to_beginning":true`...)
	}
	b = append(b, `,"value":`...)
	b = appendValue(b, op)
	return append(b, '}')
}

func appendOffset(b []byte, o int64) []byte {
	if o < 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, o, 10)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func appendValue(b []byte, op *Op) []byte {
	switch op.F {
	case FSend, FPoll, FTxn:
		b = append(b, '[')
		for i := range op.Mops {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMop(b, &op.Mops[i], op.Type)
		}
		return append(b, ']')
	case FAssign, FSubscribe:
		return appendStrings(b, op.Keys)
	case FCommit, FLogStart:
		b = append(b, '{')
		for i, ko := range op.Offsets {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, ko.Key)
			b = append(b, ':')
			b = strconv.AppendInt(b, ko.Offset, 10)
		}
		return append(b, '}')
	case FRebalance:
		rb := op.Rebalance
		if rb == nil {
			rb = &Rebalance{}
		}
		b = append(b, `{"group":`...)
		b = appendJSONString(b, rb.Group)
		b = append(b, `,"process":`...)
		b = strconv.AppendInt(b, rb.Process, 10)
		b = append(b, `,"generation":`...)
		b = strconv.AppendInt(b, rb.Generation, 10)
		b = append(b, `,"assigned":`...)
		b = appendStrings(b, rb.Assigned)
		return append(b, '}')
	case FTruncate, FLeader:
		b = append(b, '{')
		for i, rc := range op.Replicas {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, rc.Key)
			b = append(b, `:{"node":`...)
			b = strconv.AppendInt(b, rc.Node, 10)
			if op.F == FTruncate || rc.Offset >= 0 {
				b = append(b, `,"offset":`...)
				b = strconv.AppendInt(b, max(rc.Offset, 0), 10)
			}
			b = append(b, `,"epoch":`...)
			b = strconv.AppendInt(b, rc.Epoch, 10)
			b = append(b, '}')
		}
		return append(b, '}')
	case FFault:
		f := op.Fault
		if f == nil {
			f = &Fault{}
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, f.Name)
		b = append(b, `,"action":`...)
		b = appendJSONString(b, f.Action)
		if f.Detail != "" {
			b = append(b, `,"detail":`...)
			b = appendJSONString(b, f.Detail)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

func appendMop(b []byte, m *Mop, t Type) []byte {
	switch m.Kind {
	case MopSend:
		b = append(b, `["send",`...)
		b = appendJSONString(b, m.Key)
		b = append(b, ',')
		if m.pair || t.IsCompletion() {
			b = append(b, '[')
			b = appendOffset(b, m.Offset)
			b = append(b, ',')
			b = m.Value.AppendJSON(b)
			b = append(b, ']')
		} else {
			b = m.Value.AppendJSON(b)
		}
		return append(b, ']')
	case MopPoll:
		if t == Invoke && m.Reads == nil {
			return append(b, `["poll"]`...)
		}
		b = append(b, `["poll",{`...)
		for i, kr := range m.Reads {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, kr.Key)
			b = append(b, ':', '[')
			for j, r := range kr.Records {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = appendOffset(b, r.Offset)
				b = append(b, ',')
				b = r.Value.AppendJSON(b)
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		return append(b, `}]`...)
	}
	panic(fmt.Sprintf("history: micro-operation with kind %d", m.Kind))
}

package edn

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"logsim/checker/history"
)

// MaxBytes bounds the size of an EDN history read into memory.
const MaxBytes = 4 << 30

// ReadFile reads the Jepsen history in the named file.
func ReadFile(path string) ([]history.Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads a Jepsen Kafka history from r; name prefixes errors.
func Read(r io.Reader, name string) ([]history.Op, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(src) > MaxBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxBytes)
	}
	p := &parser{src: src, line: 1, col: 1, file: name}
	c := &converter{file: name, procs: map[int64]string{}}
	for {
		n, ok, err := p.form(0)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if n.kind == kVector || n.kind == kList {
			for i := range n.items {
				if err := c.op(&n.items[i]); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := c.op(&n); err != nil {
			return nil, err
		}
	}
	return c.ops, nil
}

type converter struct {
	file     string
	ops      []history.Op
	val      history.Validator
	lastTime int64
	procs    map[int64]string // outstanding f per process, for completions with a nil value
	invokes  map[int64]*history.Op
}

func (c *converter) errAt(n *node, format string, args ...any) error {
	return &Error{File: c.file, Line: n.line, Column: n.col, Msg: fmt.Sprintf(format, args...)}
}

func (c *converter) emit(n *node, op history.Op) error {
	op.Index = int64(len(c.ops))
	if err := c.val.Check(&op); err != nil {
		return c.errAt(n, "%v", err)
	}
	c.ops = append(c.ops, op)
	return nil
}

// op converts one Jepsen operation map.
func (c *converter) op(n *node) error {
	if n.kind != kMap {
		return c.errAt(n, "expected an operation map {:type ... :f ... :value ...}, found %s", n.describe())
	}
	if c.invokes == nil {
		c.invokes = map[int64]*history.Op{}
	}
	t := c.lastTime
	if tn := n.get("time"); tn != nil {
		if tn.kind != kInt || tn.n < 0 {
			return c.errAt(tn, ":time must be a non-negative integer (nanoseconds), found %s", tn.describe())
		}
		t = tn.n
	}
	// Jepsen records times as operations complete, so they should not decrease; if one
	// does (clock trouble on the control node), keep the history's order and clamp.
	t = max(t, c.lastTime)
	c.lastTime = t
	typ, err := c.keyword(n, "type")
	if err != nil {
		return err
	}
	f, err := c.keyword(n, "f")
	if err != nil {
		return err
	}
	pn := n.get("process")
	if pn == nil {
		return c.errAt(n, "operation has no :process")
	}
	if pn.kind != kInt {
		// :nemesis and other named processes: faults.
		if typ == "info" || typ == "ok" {
			return c.fault(n, t, f)
		}
		return nil
	}
	process := pn.n
	var ty history.Type
	switch typ {
	case "invoke":
		ty = history.Invoke
	case "ok":
		ty = history.OK
	case "fail":
		ty = history.Fail
	case "info":
		ty = history.Info
	default:
		return c.errAt(n, "unknown :type :%s (accepted: :invoke, :ok, :fail, :info)", typ)
	}
	switch f {
	case "send", "poll", "txn", "assign", "subscribe", "crash":
	default:
		return nil // operations the checker does not model, e.g. :debug-topic-partitions
	}
	op := history.Op{Time: t, Process: process, Type: ty, F: f}
	if e := n.get("error"); e != nil && e.kind != kNil {
		op.Error = printNode(e)
		if e.kind == kKeyword {
			op.Error = e.s
		}
	}
	if ty != history.Invoke {
		if rl := n.get("rebalance-log"); rl != nil && (rl.kind == kVector || rl.kind == kList) {
			for i := range rl.items {
				entry := &rl.items[i]
				if entry.kind != kMap {
					continue
				}
				keys := entry.get("keys")
				rb := &history.Rebalance{Process: process}
				if keys != nil {
					for j := range keys.items {
						k, err := c.key(&keys.items[j])
						if err != nil {
							return err
						}
						rb.Assigned = append(rb.Assigned, k)
					}
				}
				if err := c.emit(entry, history.Op{Time: t, Process: history.NoProcess, Type: history.Event, F: history.FRebalance, Rebalance: rb}); err != nil {
					return err
				}
			}
		}
	}
	v := n.get("value")
	switch f {
	case "send", "poll", "txn":
		if v == nil || v.kind == kNil {
			if inv := c.invokes[process]; ty != history.Invoke && inv != nil {
				for _, m := range inv.Mops {
					if m.Kind == history.MopPoll {
						op.Mops = append(op.Mops, history.Poll())
					} else {
						op.Mops = append(op.Mops, m)
					}
				}
				break
			}
			return c.errAt(n, "%s operation has no :value", f)
		}
		if op.Mops, err = c.mops(v, f, ty); err != nil {
			return err
		}
	case "assign", "subscribe":
		if v != nil && v.kind != kNil {
			if v.kind != kVector && v.kind != kList && v.kind != kSet {
				return c.errAt(v, ":value of %s must be a collection of keys, found %s", f, v.describe())
			}
			for i := range v.items {
				k, err := c.key(&v.items[i])
				if err != nil {
					return err
				}
				op.Keys = append(op.Keys, k)
			}
		}
		if s := n.get("seek-to-beginning?"); s != nil && s.kind == kBool && s.n == 1 {
			op.SeekToBeginning = true
		}
	}
	if err := c.emit(n, op); err != nil {
		return err
	}
	if ty == history.Invoke {
		c.invokes[process] = &c.ops[len(c.ops)-1]
	} else {
		delete(c.invokes, process)
	}
	return nil
}

// fault turns a nemesis operation into a fault event.
func (c *converter) fault(n *node, t int64, f string) error {
	action := "start"
	for _, w := range []string{"stop", "heal", "resume", "restart", "recover", "end"} {
		if strings.Contains(f, w) {
			action = "stop"
		}
	}
	detail := ""
	if v := n.get("value"); v != nil && v.kind != kNil {
		detail = printNode(v)
		if len(detail) > 500 {
			detail = detail[:500] + "..."
		}
	}
	return c.emit(n, history.Op{Time: t, Process: history.NoProcess, Type: history.Event, F: history.FFault,
		Fault: &history.Fault{Name: f, Action: action, Detail: detail}})
}

func (c *converter) keyword(n *node, field string) (string, error) {
	v := n.get(field)
	if v == nil {
		return "", c.errAt(n, "operation has no :%s", field)
	}
	switch v.kind {
	case kKeyword, kString, kSymbol:
		return v.s, nil
	}
	return "", c.errAt(v, ":%s must be a keyword, found %s", field, v.describe())
}

// key converts a Jepsen key (integer, keyword or string) to a logsim key.
func (c *converter) key(n *node) (string, error) {
	switch n.kind {
	case kInt:
		return strconv.FormatInt(n.n, 10), nil
	case kKeyword, kString, kSymbol:
		return n.s, nil
	}
	return "", c.errAt(n, "expected a key (an integer, keyword or string), found %s", n.describe())
}

func (c *converter) value(n *node) (history.Value, error) {
	switch n.kind {
	case kInt:
		return history.Int(n.n), nil
	case kKeyword, kString, kSymbol:
		return history.String(n.s), nil
	}
	return history.Value{}, c.errAt(n, "expected a value (an integer, keyword or string), found %s", n.describe())
}

func (c *converter) offset(n *node) (int64, error) {
	switch {
	case n.kind == kNil:
		return history.NoOffset, nil
	case n.kind == kInt && n.n >= 0:
		return n.n, nil
	}
	return 0, c.errAt(n, "expected an offset (an integer >= 0 or nil), found %s", n.describe())
}

func (c *converter) mops(v *node, f string, ty history.Type) ([]history.Mop, error) {
	if v.kind != kVector && v.kind != kList {
		return nil, c.errAt(v, ":value of %s must be a vector of micro-operations, found %s", f, v.describe())
	}
	var out []history.Mop
	for i := range v.items {
		m := &v.items[i]
		if (m.kind != kVector && m.kind != kList) || len(m.items) == 0 {
			return nil, c.errAt(m, "expected a micro-operation [:send k v] or [:poll ...], found %s", m.describe())
		}
		name, err := c.keywordNode(&m.items[0])
		if err != nil {
			return nil, err
		}
		switch name {
		case "send":
			if len(m.items) != 3 {
				return nil, c.errAt(m, "a send micro-operation is [:send key value] or [:send key [offset value]]")
			}
			k, err := c.key(&m.items[1])
			if err != nil {
				return nil, err
			}
			x := &m.items[2]
			if x.kind == kVector || x.kind == kList {
				if len(x.items) != 2 {
					return nil, c.errAt(x, "expected [offset value]")
				}
				o, err := c.offset(&x.items[0])
				if err != nil {
					return nil, err
				}
				val, err := c.value(&x.items[1])
				if err != nil {
					return nil, err
				}
				out = append(out, history.SendAt(k, o, val))
				continue
			}
			val, err := c.value(x)
			if err != nil {
				return nil, err
			}
			out = append(out, history.Send(k, val))
		case "poll":
			if len(m.items) == 1 || m.items[1].kind == kNil || ty == history.Invoke {
				out = append(out, history.Poll())
				continue
			}
			rs := &m.items[1]
			if rs.kind != kMap {
				return nil, c.errAt(rs, "poll results must be a map {key [[offset value] ...]}, found %s", rs.describe())
			}
			var reads []history.KeyRecords
			for j := 0; j+1 < len(rs.items); j += 2 {
				k, err := c.key(&rs.items[j])
				if err != nil {
					return nil, err
				}
				pairs := &rs.items[j+1]
				if pairs.kind != kVector && pairs.kind != kList {
					return nil, c.errAt(pairs, "records of key %s must be a vector of [offset value], found %s", k, pairs.describe())
				}
				kr := history.KeyRecords{Key: k}
				for q := range pairs.items {
					pr := &pairs.items[q]
					if (pr.kind != kVector && pr.kind != kList) || len(pr.items) != 2 {
						return nil, c.errAt(pr, "expected a record [offset value]")
					}
					o, err := c.offset(&pr.items[0])
					if err != nil {
						return nil, err
					}
					val, err := c.value(&pr.items[1])
					if err != nil {
						return nil, err
					}
					kr.Records = append(kr.Records, history.Record{Offset: o, Value: val})
				}
				reads = append(reads, kr)
			}
			out = append(out, history.Poll(reads...))
		default:
			return nil, c.errAt(&m.items[0], "unknown micro-operation :%s (accepted: :send, :poll)", name)
		}
		if f == "send" && name != "send" || f == "poll" && name != "poll" {
			return nil, c.errAt(m, "a %s operation contains a %s micro-operation (only :txn mixes them)", f, name)
		}
	}
	return out, nil
}

func (c *converter) keywordNode(n *node) (string, error) {
	switch n.kind {
	case kKeyword, kString, kSymbol:
		return n.s, nil
	}
	return "", c.errAt(n, "expected a keyword, found %s", n.describe())
}

// printNode renders a form back as EDN-like text, for error names and fault details.
func printNode(n *node) string {
	var b strings.Builder
	printTo(&b, n)
	return b.String()
}

func printTo(b *strings.Builder, n *node) {
	switch n.kind {
	case kNil:
		b.WriteString("nil")
	case kBool:
		b.WriteString(strconv.FormatBool(n.n == 1))
	case kInt:
		b.WriteString(strconv.FormatInt(n.n, 10))
	case kFloat, kSymbol:
		b.WriteString(n.s)
	case kString:
		b.WriteString(strconv.Quote(n.s))
	case kKeyword:
		b.WriteString(":" + n.s)
	default:
		open, close := "[", "]"
		switch n.kind {
		case kList:
			open, close = "(", ")"
		case kSet:
			open, close = "#{", "}"
		case kMap:
			open, close = "{", "}"
		}
		b.WriteString(open)
		for i := range n.items {
			if i > 0 {
				b.WriteByte(' ')
			}
			printTo(b, &n.items[i])
		}
		b.WriteString(close)
	}
}

package history

// This file decodes one history line into an Op.

// field bits, to detect missing and repeated fields.
const (
	hasIndex = 1 << iota
	hasTime
	hasProcess
	hasType
	hasF
	hasValue
	hasError
	hasGroup
	hasSeek
)

// parseLine decodes one JSON object line into op. Errors carry the column.
func (s *scanner) parseLine(op *Op) error {
	*op = Op{}
	if s.shared {
		s.reused = arenas{mops: s.reused.mops[:0], krs: s.reused.krs[:0], recs: s.reused.recs[:0]}
	}
	if err := s.expect('{', "'{' (each line is one JSON object)"); err != nil {
		return err
	}
	seen := 0
	valueStart := -1
	parsed := false
	once := func(bit int, name string, at int) error {
		if seen&bit != 0 {
			return s.errAt(at, "field %q appears twice", name)
		}
		seen |= bit
		return nil
	}
	err := s.fields(func(name []byte, at int) (err error) {
		switch string(name) {
		case "index":
			if err = once(hasIndex, "index", at); err == nil {
				op.Index, err = s.nonNegative("index")
			}
		case "time":
			if err = once(hasTime, "time", at); err == nil {
				op.Time, err = s.nonNegative("time")
			}
		case "process":
			if err = once(hasProcess, "process", at); err == nil {
				op.Process, err = s.int("process")
			}
		case "type":
			if err = once(hasType, "type", at); err == nil {
				err = s.parseType(op)
			}
		case "f":
			if err = once(hasF, "f", at); err == nil {
				s.ws()
				fAt := s.pos
				var b []byte
				if b, err = s.rawString("f"); err == nil {
					var ok bool
					if op.F, ok = internF(b); !ok {
						err = s.errAt(fAt, "unknown f %q (accepted: send, poll, txn, assign, subscribe, commit, crash; events: rebalance, log-start, truncate, leader, fault)", b)
					}
				}
			}
		case "value":
			if err = once(hasValue, "value", at); err == nil {
				s.ws()
				valueStart = s.pos
				if seen&hasF != 0 {
					// f came first (as writers put it): decode the value directly.
					err = s.parseValue(op)
					parsed = true
				} else {
					err = s.skip(0)
				}
			}
		case "error":
			if err = once(hasError, "error", at); err == nil {
				if !s.null() {
					op.Error, err = s.key("error")
				}
			}
		case "group":
			if err = once(hasGroup, "group", at); err == nil {
				if !s.null() {
					op.Group, err = s.key("group")
				}
			}
		case "seek_to_beginning":
			if err = once(hasSeek, "seek_to_beginning", at); err == nil {
				op.SeekToBeginning, err = s.boolean()
			}
		default:
			// Unknown fields are ignored, so that later versions can add some.
			err = s.skip(0)
		}
		return err
	})
	if err != nil {
		return err
	}
	if s.peek() != 0 {
		return s.errf("unexpected %s after the closing '}' (one object per line)", s.describe())
	}
	for _, req := range []struct {
		bit  int
		name string
	}{{hasIndex, "index"}, {hasTime, "time"}, {hasProcess, "process"}, {hasType, "type"}, {hasF, "f"}} {
		if seen&req.bit == 0 {
			return s.errAt(0, "missing field %q (required: index, time, process, type, f, and value except for crash)", req.name)
		}
	}
	if valueStart < 0 {
		if op.F == FCrash {
			return nil
		}
		return s.errAt(0, "missing field \"value\" (required for f %q)", op.F)
	}
	if parsed {
		return nil
	}
	s.pos = valueStart
	return s.parseValue(op)
}

func (s *scanner) parseType(op *Op) error {
	s.ws()
	at := s.pos
	b, err := s.rawString("type")
	if err != nil {
		return err
	}
	switch string(b) {
	case "invoke":
		op.Type = Invoke
	case "ok":
		op.Type = OK
	case "fail":
		op.Type = Fail
	case "info":
		op.Type = Info
	case "event":
		op.Type = Event
	default:
		return s.errAt(at, "unknown type %q (accepted: invoke, ok, fail, info, event)", b)
	}
	return nil
}

// parseValue decodes the value field according to f and type.
func (s *scanner) parseValue(op *Op) error {
	switch op.F {
	case FSend, FPoll, FTxn:
		return s.parseMops(op)
	case FAssign, FSubscribe:
		what := "a key"
		if op.F == FSubscribe {
			what = "a topic"
		}
		keys, err := s.keyList(what)
		op.Keys = keys
		return err
	case FCommit, FLogStart:
		offs, err := s.offsetMap()
		op.Offsets = offs
		return err
	case FCrash:
		if !s.null() {
			return s.errf("the value of crash must be null, found %s", s.describe())
		}
		return nil
	case FRebalance:
		return s.parseRebalance(op)
	case FTruncate, FLeader:
		return s.parseReplicas(op)
	case FFault:
		return s.parseFault(op)
	}
	panic("history: parseValue called with unknown f " + op.F)
}

func (s *scanner) parseMops(op *Op) error {
	if err := s.expect('[', "an array of micro-operations like [\"send\", key, value] or [\"poll\"]"); err != nil {
		return err
	}
	s.mopScratch = s.mopScratch[:0]
	err := s.items(']', func() error {
		if err := s.expect('[', "a micro-operation like [\"send\", key, value] or [\"poll\"]"); err != nil {
			return err
		}
		s.ws()
		nameAt := s.pos
		name, err := s.rawString("a micro-operation name (\"send\" or \"poll\")")
		if err != nil {
			return err
		}
		var m Mop
		switch string(name) {
		case "send":
			if op.F == FPoll {
				return s.errAt(nameAt, "a poll operation may contain only poll micro-operations (use f \"txn\" to mix)")
			}
			if err := s.parseSend(&m); err != nil {
				return err
			}
		case "poll":
			if op.F == FSend {
				return s.errAt(nameAt, "a send operation may contain only send micro-operations (use f \"txn\" to mix)")
			}
			if err := s.parsePoll(&m); err != nil {
				return err
			}
		default:
			return s.errAt(nameAt, "unknown micro-operation %q (accepted: send, poll)", name)
		}
		if err := s.expect(']', "']' closing the micro-operation"); err != nil {
			return err
		}
		s.mopScratch = append(s.mopScratch, m)
		return nil
	})
	if err != nil {
		return err
	}
	op.Mops = keep(&s.arena().mops, s.mopScratch)
	return nil
}

func (s *scanner) parseSend(m *Mop) error {
	m.Kind = MopSend
	if err := s.expect(',', "',' then the key"); err != nil {
		return err
	}
	key, err := s.key("a key")
	if err != nil {
		return err
	}
	m.Key = key
	if err := s.expect(',', "',' then the value or [offset, value]"); err != nil {
		return err
	}
	if s.peek() == '[' {
		s.pos++
		m.pair = true
		m.Offset, m.Value, err = s.offsetValue("']' closing [offset, value]")
		return err
	}
	m.Offset = NoOffset
	m.Value, err = s.value()
	return err
}

func (s *scanner) parsePoll(m *Mop) error {
	m.Kind = MopPoll
	if s.peek() != ',' {
		return nil // ["poll"] of an invoke
	}
	s.pos++
	if s.null() {
		return nil
	}
	if err := s.expect('{', "an object of records per key: {key: [[offset, value], ...]}"); err != nil {
		return err
	}
	s.krScratch = s.krScratch[:0]
	err := s.items('}', func() error {
		key, err := s.key("a key")
		if err != nil {
			return err
		}
		if err := s.expect(':', "':' after the key"); err != nil {
			return err
		}
		if err := s.expect('[', "an array of [offset, value] records"); err != nil {
			return err
		}
		s.recScratch = s.recScratch[:0]
		err = s.items(']', func() error {
			if err := s.expect('[', "a record [offset, value]"); err != nil {
				return err
			}
			var r Record
			var err error
			if r.Offset, r.Value, err = s.offsetValue("']' closing the record"); err != nil {
				return err
			}
			s.recScratch = append(s.recScratch, r)
			return nil
		})
		if err != nil {
			return err
		}
		s.krScratch = append(s.krScratch, KeyRecords{Key: key, Records: keep(&s.arena().recs, s.recScratch)})
		return nil
	})
	if err != nil {
		return err
	}
	m.Reads = keep(&s.arena().krs, s.krScratch)
	if m.Reads == nil {
		m.Reads = []KeyRecords{} // {} read nothing; distinct from an invoke's absent results
	}
	return nil
}

// offsetValue reads the rest of a pair [offset, value] whose '[' has been consumed;
// closing names the ']' in the error when it is missing.
func (s *scanner) offsetValue(closing string) (offset int64, v Value, err error) {
	if offset, err = s.offset(); err != nil {
		return 0, v, err
	}
	if err = s.expect(',', "',' between offset and value"); err != nil {
		return 0, v, err
	}
	if v, err = s.value(); err != nil {
		return 0, v, err
	}
	return offset, v, s.expect(']', closing)
}

func (s *scanner) keyList(what string) ([]string, error) {
	if err := s.expect('[', "an array of strings"); err != nil {
		return nil, err
	}
	var out []string
	err := s.items(']', func() error {
		k, err := s.key(what)
		out = append(out, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *scanner) offsetMap() ([]KeyOffset, error) {
	if err := s.expect('{', "an object {key: offset, ...}"); err != nil {
		return nil, err
	}
	var out []KeyOffset
	err := s.items('}', func() error {
		k, err := s.key("a key")
		if err != nil {
			return err
		}
		if err := s.expect(':', "':' after the key"); err != nil {
			return err
		}
		o, err := s.nonNegative("an offset")
		out = append(out, KeyOffset{Key: k, Offset: o})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *scanner) parseRebalance(op *Op) error {
	if err := s.expect('{', "an object {\"group\": g, \"process\": p, \"generation\": n, \"assigned\": [key, ...]}"); err != nil {
		return err
	}
	rb := &Rebalance{}
	seen := 0
	err := s.fields(func(name []byte, _ int) (err error) {
		switch string(name) {
		case "group":
			rb.Group, err = s.key("group")
			seen |= 1
		case "process":
			rb.Process, err = s.int("process")
			seen |= 2
		case "generation":
			rb.Generation, err = s.int("generation")
		case "assigned":
			rb.Assigned, err = s.keyList("a key")
			seen |= 4
		default:
			err = s.skip(0)
		}
		return err
	})
	if err != nil {
		return err
	}
	if seen != 7 {
		return s.errf("a rebalance event needs \"group\", \"process\" and \"assigned\"")
	}
	op.Rebalance = rb
	return nil
}

func (s *scanner) parseReplicas(op *Op) error {
	if err := s.expect('{', "an object {key: {\"node\": broker, ...}}"); err != nil {
		return err
	}
	return s.items('}', func() error {
		k, err := s.key("a key")
		if err != nil {
			return err
		}
		if err := s.expect(':', "':'"); err != nil {
			return err
		}
		if err := s.expect('{', "an object {\"node\": broker, \"offset\": o, \"epoch\": e}"); err != nil {
			return err
		}
		rc := ReplicaChange{Key: k, Offset: NoOffset}
		hasOffset := false
		err = s.fields(func(name []byte, _ int) (err error) {
			switch string(name) {
			case "node":
				rc.Node, err = s.int("node")
			case "offset":
				rc.Offset, err = s.nonNegative("offset")
				hasOffset = true
			case "epoch":
				rc.Epoch, err = s.int("epoch")
			default:
				err = s.skip(0)
			}
			return err
		})
		if err != nil {
			return err
		}
		if op.F == FTruncate && !hasOffset {
			return s.errf("a truncate event needs \"offset\" for key %q", k)
		}
		op.Replicas = append(op.Replicas, rc)
		return nil
	})
}

func (s *scanner) parseFault(op *Op) error {
	if err := s.expect('{', "an object {\"name\": ..., \"action\": \"start\"|\"stop\", \"detail\": ...}"); err != nil {
		return err
	}
	f := &Fault{}
	err := s.fields(func(name []byte, _ int) (err error) {
		switch string(name) {
		case "name":
			f.Name, err = s.key("name")
		case "action":
			at := s.pos
			f.Action, err = s.key("action")
			if err == nil && f.Action != "start" && f.Action != "stop" {
				err = s.errAt(at, "fault action %q: accepted are \"start\" and \"stop\"", f.Action)
			}
		case "detail":
			f.Detail, err = s.string("detail")
		default:
			err = s.skip(0)
		}
		return err
	})
	if err != nil {
		return err
	}
	if f.Name == "" || f.Action == "" {
		return s.errf("a fault event needs \"name\" and \"action\"")
	}
	op.Fault = f
	return nil
}

// fields reads the members of a JSON object whose '{' has been consumed, calling field
// with each member's name (and where it starts) once the ':' after it is read; field
// must consume the member's value.
func (s *scanner) fields(field func(name []byte, at int) error) error {
	return s.items('}', func() error {
		s.ws()
		at := s.pos
		name, err := s.rawString("a field name")
		if err != nil {
			return err
		}
		if err := s.expect(':', "':' after a field name"); err != nil {
			return err
		}
		return field(name, at)
	})
}

// items reads the elements of a JSON array or object whose opening byte has been
// consumed, up to the closing byte close, calling item to read each one.
func (s *scanner) items(close byte, item func() error) error {
	for first := true; ; first = false {
		more, err := s.more(close, first)
		if err != nil || !more {
			return err
		}
		if err := item(); err != nil {
			return err
		}
	}
}

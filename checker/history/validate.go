package history

import (
	"fmt"
	"slices"
)

// Validator checks the structure of a history one operation at a time: the index
// sequence, time never decreasing, names that fit the type, and the pairing of each
// invoke with one completion of the same f on the same process. Reader and Writer use
// one; importers of other formats use one directly.
type Validator struct {
	// SparseIndex accepts any increasing index sequence instead of 0, 1, 2, ...
	// (for imported histories whose importer dropped operations it does not model).
	SparseIndex bool

	started  bool
	last     int64
	lastTime int64
	// The outstanding operation of each process: in an array for small processes
	// (f "" when none: a map costs more per line), in pending for the others.
	small   []pendingOp
	pending map[int64]pendingOp
}

// maxSmallProcess bounds the processes whose outstanding operations are in an array.
const maxSmallProcess = 1 << 16

// outstanding returns the process's outstanding operation.
func (v *Validator) outstanding(p int64) (pendingOp, bool) {
	if p < maxSmallProcess {
		if p < int64(len(v.small)) && v.small[p].f != "" {
			return v.small[p], true
		}
		return pendingOp{}, false
	}
	op, ok := v.pending[p]
	return op, ok
}

// setOutstanding records (or, with f "", clears) the process's outstanding operation.
func (v *Validator) setOutstanding(p int64, op pendingOp) {
	if p < maxSmallProcess {
		for p >= int64(len(v.small)) {
			v.small = append(v.small, make([]pendingOp, max(16, len(v.small)))...)
		}
		v.small[p] = op
		return
	}
	if op.f == "" {
		delete(v.pending, p)
		return
	}
	v.pending[p] = op
}

type pendingOp struct {
	f     string
	index int64
}

// Check validates op as the next operation of the history.
func (v *Validator) Check(op *Op) error {
	if v.pending == nil {
		v.pending = make(map[int64]pendingOp)
	}
	switch {
	case !v.started && !v.SparseIndex && op.Index != 0:
		return fmt.Errorf("index %d: the first operation must have index 0", op.Index)
	case v.started && !v.SparseIndex && op.Index != v.last+1:
		return fmt.Errorf("index %d: expected index %d (indices count 0, 1, 2, ... without gaps)", op.Index, v.last+1)
	case v.started && op.Index <= v.last:
		return fmt.Errorf("index %d: indices must increase (previous %d)", op.Index, v.last)
	case op.Index < 0:
		return fmt.Errorf("index %d: indices must not be negative", op.Index)
	case op.Time < 0:
		return fmt.Errorf("time %d: times must not be negative", op.Time)
	case v.started && op.Time < v.lastTime:
		return fmt.Errorf("time %d goes backwards (previous line has time %d; times never decrease)", op.Time, v.lastTime)
	}
	if op.Type == Event {
		if !isEventF(op.F) {
			return fmt.Errorf("f %q is a client operation, but type is \"event\" (events are rebalance, log-start, truncate, leader, fault)", op.F)
		}
		if op.Process != NoProcess {
			return fmt.Errorf("an event must have process -1, got %d", op.Process)
		}
	} else {
		if !isClientF(op.F) {
			if isEventF(op.F) {
				return fmt.Errorf("f %q is a harness event: its type must be \"event\", not %q", op.F, op.Type)
			}
			return fmt.Errorf("unknown f %q", op.F)
		}
		if op.Process < 0 {
			return fmt.Errorf("process %d: client processes are numbered from 0 (-1 is for events)", op.Process)
		}
		p, outstanding := v.outstanding(op.Process)
		switch op.Type {
		case Invoke:
			if outstanding {
				return fmt.Errorf("process %d invokes %s while its %s invoked at index %d has not completed (a process has at most one operation outstanding)", op.Process, op.F, p.f, p.index)
			}
			v.setOutstanding(op.Process, pendingOp{f: op.F, index: op.Index})
		case OK, Fail, Info:
			if !outstanding {
				return fmt.Errorf("process %d completes %s (%s) without an outstanding invoke", op.Process, op.F, op.Type)
			}
			if p.f != op.F {
				return fmt.Errorf("process %d completes %s, but its outstanding operation (index %d) is %s", op.Process, op.F, p.index, p.f)
			}
			if op.F == FCrash && op.Type != Info {
				return fmt.Errorf("a crash completes with type \"info\", not %q", op.Type)
			}
			v.setOutstanding(op.Process, pendingOp{})
		default:
			return fmt.Errorf("invalid type %v", op.Type)
		}
		if op.Type == Invoke {
			for i := range op.Mops {
				if op.Mops[i].Kind == MopPoll && len(op.Mops[i].Reads) > 0 {
					return fmt.Errorf("an invoke of %s carries poll results; results belong to the completion", op.F)
				}
			}
		}
	}
	v.started = true
	v.last = op.Index
	v.lastTime = op.Time
	return nil
}

// Pending returns the invoke indices of operations that have not completed yet, sorted.
// Histories may end with some (the run stopped); the checker treats them as unknown.
func (v *Validator) Pending() []int64 {
	out := make([]int64, 0, len(v.pending))
	for _, p := range v.small {
		if p.f != "" {
			out = append(out, p.index)
		}
	}
	for _, p := range v.pending {
		out = append(out, p.index)
	}
	slices.Sort(out)
	return out
}

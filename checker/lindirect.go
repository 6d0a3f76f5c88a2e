package checker

import (
	"fmt"
	"math"
	"sort"

	"github.com/anishathalye/porcupine"
)

// linDirect decides the linearizability of one partition's history under the same
// model as the porcupine check, without a search: appends must happen in the order of
// the partition's known offsets, so placing each at the earliest instant its interval
// and its predecessor allow is optimal; a poll is then legal iff its records are
// consecutive entries appended with those values and the append of its last record
// can be placed no later than the poll returned. It is linear after sorting, for
// partitions too large for porcupine's memory (its cache holds a bitset of all
// operations per entry), and a cross-check of porcupine in tests.
func linDirect(h []porcupine.Operation) bool {
	ok, _ := linExplain(h)
	return ok
}

// linExplain is linDirect that also says, for an illegal history, what cannot be
// ordered, naming operations by history index (their porcupine Metadata).
func linExplain(h []porcupine.Operation) (bool, string) {
	type app struct {
		rank      int
		call, ret int64
		val       uint64
		op        *porcupine.Operation
	}
	var order []int64
	var apps []app
	var key *keyState
	for i := range h {
		op := &h[i]
		in := op.Input.(*linInput)
		key = in.key
		if in.read {
			continue
		}
		order = *in.order
		for j, o := range in.offsets {
			r := sort.Search(len(order), func(i int) bool { return order[i] >= o })
			apps = append(apps, app{rank: r, call: op.Call, ret: op.Return, val: in.vals[j], op: op})
		}
	}
	value := func(v uint64) string { return key.value(int32(v)).String() }
	sort.SliceStable(apps, func(i, j int) bool { return apps[i].rank < apps[j].rank })
	place := make([]int64, len(apps))
	p := int64(math.MinInt64)
	for i, a := range apps {
		if a.rank != i {
			prev := apps[i-1]
			return false, fmt.Sprintf("two sends were told offset %d: value %s (operation %d) and value %s (operation %d)",
				order[a.rank], value(prev.val), prev.op.Metadata, value(a.val), a.op.Metadata)
		}
		p = max(p, a.call)
		if p > a.ret {
			prev := apps[i-1]
			return false, fmt.Sprintf("value %s got offset %d (operation %d, which returned at %s), but value %s got the lower offset %d and cannot have been appended before %s (operation %d)",
				value(a.val), order[i], a.op.Metadata, fmtTime(a.ret), value(prev.val), order[i-1], fmtTime(place[i-1]), prev.op.Metadata)
		}
		place[i] = p
	}
	rank := func(o int64) int {
		r := sort.Search(len(order), func(i int) bool { return order[i] >= o })
		if r < len(order) && order[r] == o && r < len(apps) {
			return r
		}
		return -1
	}
	for i := range h {
		op := &h[i]
		in := op.Input.(*linInput)
		if !in.read || len(in.offsets) == 0 {
			continue
		}
		last := -1
		for j, o := range in.offsets {
			r := rank(o)
			switch {
			case r < 0:
				return false, fmt.Sprintf("poll %d returned value %s at offset %d, where no send put a record", op.Metadata, value(in.vals[j]), o)
			case apps[r].val != in.vals[j]:
				return false, fmt.Sprintf("poll %d returned value %s at offset %d, where operation %d put value %s", op.Metadata, value(in.vals[j]), o, apps[r].op.Metadata, value(apps[r].val))
			case j > 0 && r <= last:
				return false, fmt.Sprintf("poll %d returned offset %d after offset %d", op.Metadata, o, in.offsets[j-1])
			case j > 0 && r != last+1:
				return false, fmt.Sprintf("poll %d returned offsets %d and %d together, skipping offset %d that operation %d wrote", op.Metadata, in.offsets[j-1], o, order[last+1], apps[last+1].op.Metadata)
			}
			last = r
		}
		if place[last] > op.Return {
			return false, fmt.Sprintf("poll %d returned offset %d by %s, but the send there (operation %d) cannot have been appended before %s",
				op.Metadata, in.offsets[len(in.offsets)-1], fmtTime(op.Return), apps[last].op.Metadata, fmtTime(place[last]))
		}
	}
	return true, ""
}

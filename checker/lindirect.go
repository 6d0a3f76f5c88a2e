package checker

import (
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
	type app struct {
		rank      int
		call, ret int64
		val       uint64
	}
	var order []int64
	var apps []app
	for _, op := range h {
		in := op.Input.(*linInput)
		if in.read {
			continue
		}
		order = *in.order
		for j, o := range in.offsets {
			r := sort.Search(len(order), func(i int) bool { return order[i] >= o })
			apps = append(apps, app{rank: r, call: op.Call, ret: op.Return, val: in.vals[j]})
		}
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].rank < apps[j].rank })
	place := make([]int64, len(apps))
	p := int64(math.MinInt64)
	for i, a := range apps {
		if a.rank != i {
			return false // two appends claim one offset
		}
		p = max(p, a.call)
		if p > a.ret {
			return false
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
	for _, op := range h {
		in := op.Input.(*linInput)
		if !in.read || len(in.offsets) == 0 {
			continue
		}
		last := -1
		for j, o := range in.offsets {
			r := rank(o)
			if r < 0 || apps[r].val != in.vals[j] || (j > 0 && r != last+1) {
				return false
			}
			last = r
		}
		if place[last] > op.Return {
			return false
		}
	}
	return true
}

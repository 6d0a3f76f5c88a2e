package workloads

import "fmt"

// ValueIDs hands out the unique values one producer instance writes. Instance i of n
// writes i+1, i+1+n, i+1+2n, ...: values are unique across all instances, positive,
// and independent of how the instances' sends interleave, so adding a record to one
// producer never changes another's values.
type ValueIDs struct {
	next, stride int64
}

// NewValueIDs returns the value sequence of instance (0-based) of instances producers.
func NewValueIDs(instance, instances int) ValueIDs {
	if instances <= 0 || instance < 0 || instance >= instances {
		panic(fmt.Sprintf("workloads: NewValueIDs(%d, %d): instance out of range", instance, instances))
	}
	return ValueIDs{next: int64(instance) + 1, stride: int64(instances)}
}

// Next returns the next unique value.
func (v *ValueIDs) Next() int64 {
	id := v.next
	v.next += v.stride
	return id
}

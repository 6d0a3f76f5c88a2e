package partition

import (
	"testing"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// FuzzRecover damages a log's disk entries in arbitrary ways and recovers it.
// Invariants: recovery never panics; the recovered log is a prefix of the original
// (same batches, in order, up to the first damaged one); the epoch cache is ordered
// and ends at or below the recovered log end.
func FuzzRecover(f *testing.F) {
	f.Add(uint8(6), uint8(2), uint8(0), uint8(1))
	f.Add(uint8(9), uint8(0), uint8(1), uint8(7))
	f.Add(uint8(3), uint8(2), uint8(2), uint8(200))
	f.Add(uint8(5), uint8(4), uint8(3), uint8(0))
	f.Fuzz(func(t *testing.T, n, at, how, arg uint8) {
		cfg := DefaultConfig()
		cfg.SegmentBytes = 500
		l := NewLog("t-0", cfg, 0)
		for i := 0; i < int(n%12)+1; i++ {
			l.Append(batch(l.LogEndOffset(), 1+i%3, int32(i/4)), 0)
		}
		var segs []RecoveredSegment
		var all []*proto.RecordBatch
		for _, s := range l.Segments() {
			rs := RecoveredSegment{File: SegmentFile("t-0", s.BaseOffset)}
			for _, b := range s.Batches {
				rs.Entries = append(rs.Entries, node.Entry{Data: b, Size: b.SizeBytes, Sum: b.DiskSum()})
				all = append(all, b)
			}
			segs = append(segs, rs)
		}
		// Damage one entry.
		k := int(at) % len(all)
		for si := range segs {
			if k >= len(segs[si].Entries) {
				k -= len(segs[si].Entries)
				continue
			}
			e := &segs[si].Entries[k]
			switch how % 5 {
			case 0:
				e.Sum ^= uint32(arg) | 1
			case 1:
				e.Size = int32(arg)
			case 2:
				e.Data = "not a batch"
			case 3:
				c := *e.Data.(*proto.RecordBatch)
				c.BaseOffset += int64(arg%5) + 1
				e.Data, e.Sum = &c, c.DiskSum()
			case 4:
				segs[si].Entries = segs[si].Entries[:k] // a lost tail
			}
			break
		}
		var epochs []node.Entry
		for _, e := range l.Epochs() {
			epochs = append(epochs, node.Entry{Data: e, Size: EpochEntrySize, Sum: EpochSum(e)})
		}
		got, _ := Recover("t-0", cfg, segs, epochs, 0)
		var i int
		for _, s := range got.Segments() {
			for _, b := range s.Batches {
				if i >= len(all) || b != all[i] {
					t.Fatalf("recovered batch %d is not the original's", i)
				}
				i++
			}
		}
		if got.LogEndOffset() > l.LogEndOffset() {
			t.Fatalf("recovered LEO %d beyond the original %d", got.LogEndOffset(), l.LogEndOffset())
		}
		es := got.Epochs()
		for j := range es {
			if es[j].StartOffset > got.LogEndOffset() || (j > 0 && es[j].Epoch <= es[j-1].Epoch) {
				t.Fatalf("bad epoch cache %v for LEO %d", es, got.LogEndOffset())
			}
		}
	})
}

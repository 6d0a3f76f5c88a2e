package proto

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packed round-trips recs through a batch, by both readers.
func packed(t testing.TB, recs []Record) {
	var b RecordBatch
	b.SetRecords(recs)
	require.Equal(t, len(recs), b.Count())
	got := b.AppendRecords(nil)
	if len(recs) == 0 {
		require.Empty(t, got)
	} else {
		require.Equal(t, recs, got)
	}
	n := 0
	for i, r := range b.Records() {
		require.Equal(t, n, i)
		require.Equal(t, recs[i], r)
		n++
	}
	require.Equal(t, len(recs), n)
	want := 0
	var first, maxTS time.Duration
	for i, r := range recs {
		want += RecordOverhead + len(r.Key) + int(r.Size)
		if i == 0 {
			first, maxTS = r.Timestamp, r.Timestamp
		}
		maxTS = max(maxTS, r.Timestamp)
	}
	require.Equal(t, want, b.UncompressedBytes())
	require.Equal(t, first, b.FirstTimestamp())
	require.Equal(t, maxTS, b.MaxTimestamp())
}

// TestBatchIsSmall: a log keeps a RecordBatch per batch for the whole run.
func TestBatchIsSmall(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(RecordBatch{}), uintptr(64))
	var b RecordBatch
	assert.Zero(t, b.Count())
	assert.Zero(t, b.FirstTimestamp())
	assert.Equal(t, int64(-1), b.LastOffset())
}

// TestManyRecords: counts past a one-byte varint.
func TestManyRecords(t *testing.T) {
	recs := make([]Record, 300)
	for i := range recs {
		recs[i] = Record{Value: int64(i), Key: "k", Size: 100, Timestamp: time.Duration(300-i) * time.Millisecond}
	}
	packed(t, recs)
	var b RecordBatch
	b.SetRecords(recs)
	b.BaseOffset = 1000
	assert.Equal(t, int64(1299), b.LastOffset())
	assert.Equal(t, 300*time.Millisecond, b.FirstTimestamp())
	assert.Equal(t, 300*time.Millisecond, b.MaxTimestamp(), "the newest, not the last")
}

func TestRecordsRoundTrip(t *testing.T) {
	packed(t, nil)
	packed(t, []Record{{Value: 7, Key: "k1", Size: 1024, Timestamp: 3 * time.Second}})
	// Values and timestamps going backwards, extremes (deltas wrap around), empty and
	// long keys, keys with every byte value.
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	packed(t, []Record{
		{Value: math.MaxInt64, Key: "", Size: 0, Timestamp: math.MaxInt64},
		{Value: math.MinInt64, Key: all.String(), Size: 1 << 20, Timestamp: math.MinInt64},
		{Value: -1, Key: "x", Size: 1, Timestamp: -time.Nanosecond},
		{Value: 0, Key: strings.Repeat("long key ", 100), Size: 5, Timestamp: 0},
		{Value: 0, Key: "x", Size: 5, Timestamp: 0},
	})
}

func TestRecordsArePacked(t *testing.T) {
	// A quickstart-like batch: sequential values, keys k0..k999, 1 KiB, ~240µs apart.
	recs := make([]Record, 16)
	for i := range recs {
		recs[i] = Record{Value: int64(1_000_000 + 12*i), Key: "k" + string(rune('0'+i%10)) + "42", Size: 1024,
			Timestamp: 30*time.Second + time.Duration(i)*240*time.Microsecond}
	}
	var b RecordBatch
	b.SetRecords(recs)
	assert.LessOrEqual(t, len(b.records), 16*10+12, "about 10 bytes a record (the first carries absolute numbers, and a header the sizes)")

	// The packed form is independent of the caller's slice.
	recs[3].Key, recs[3].Value = "changed", 1
	assert.Equal(t, "k342", b.AppendRecords(nil)[3].Key)
}

// TestRecordsKeysDoNotAllocate: decoding yields keys as substrings of the packed form.
func TestRecordsKeysDoNotAllocate(t *testing.T) {
	var b RecordBatch
	b.SetRecords([]Record{{Value: 1, Key: "alpha", Size: 10}, {Value: 2, Key: "beta", Size: 10}})
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		for _, r := range b.Records() {
			n += len(r.Key)
		}
	})
	assert.Zero(t, allocs)
	assert.Positive(t, n)
}

// FuzzRecords: any records survive packing.
func FuzzRecords(f *testing.F) {
	f.Add([]byte("\x01\x02\x03k1\x00\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []Record
		for len(data) >= 4 {
			v, n := binary.Varint(data)
			if n <= 0 {
				break
			}
			data = data[n:]
			if len(data) < 3 {
				break
			}
			klen := int(data[0]) % 40
			ts := time.Duration(int64(int8(data[1])) * 1_000_003 * int64(data[2]))
			data = data[3:]
			klen = min(klen, len(data))
			recs = append(recs, Record{Value: v, Key: string(data[:klen]), Size: int32(uint16(v)), Timestamp: ts})
			data = data[klen:]
		}
		packed(t, recs)
	})
}

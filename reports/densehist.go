package reports

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// The shared histogram geometry (1 µs .. 1 h in ns, 3 significant digits) spelled out
// the way HdrHistogram lays out its counts array. TestDenseHistMatchesLibrary checks
// these against hdrhistogram-go.
const (
	// unitMagnitude is ⌊log2(lowest discernible value)⌋.
	unitMagnitude = 9
	// subBucketHalfCountMagnitude is ⌈log2(2·10^digits)⌉ - 1.
	subBucketHalfCountMagnitude = 10
	subBucketHalfCount          = 1 << subBucketHalfCountMagnitude
	subBucketMask               = int64(2*subBucketHalfCount-1) << unitMagnitude
	// countsLen is (bucket count + 1) · subBucketHalfCount.
	countsLen = 24 * subBucketHalfCount
)

// denseHist is an interval histogram with HdrHistogram's exact layout and semantics,
// built for the per-interval hot path: it remembers the range of counts it touched,
// so summarising, encoding and clearing it at the end of an interval costs in
// proportion to what was recorded rather than to the 24,576-slot array, and its V2
// encoder reuses one zlib writer instead of allocating ~2 MB per encoding.
type denseHist struct {
	counts []int64
	total  int64
	lo, hi int // touched index range, valid when total > 0

	enc struct {
		payload, out bytes.Buffer
		zw           *zlib.Writer
	}
}

func newDenseHist() *denseHist {
	return &denseHist{counts: make([]int64, countsLen)}
}

// countsIndex is the slot of value v (0 <= v <= histHighest).
func countsIndex(v int64) int {
	pow2Ceiling := 64 - bits.LeadingZeros64(uint64(v|subBucketMask))
	bucket := pow2Ceiling - unitMagnitude - (subBucketHalfCountMagnitude + 1)
	sub := int(v >> uint(bucket+unitMagnitude))
	return (bucket+1)<<subBucketHalfCountMagnitude + sub - subBucketHalfCount
}

// slotRange returns the lowest value of slot idx and the width of its value range.
func slotRange(idx int) (lowest, size int64) {
	bucket := idx>>subBucketHalfCountMagnitude - 1
	sub := idx&(subBucketHalfCount-1) + subBucketHalfCount
	if bucket < 0 {
		sub -= subBucketHalfCount
		bucket = 0
	}
	shift := uint(bucket + unitMagnitude)
	return int64(sub) << shift, int64(1) << shift
}

func highestEquivalent(idx int) int64 {
	lo, size := slotRange(idx)
	return lo + size - 1
}

func medianEquivalent(idx int) int64 {
	lo, size := slotRange(idx)
	return lo + size>>1
}

// record counts v, which the caller has clamped to [0, histHighest].
func (h *denseHist) record(v int64) {
	i := countsIndex(v)
	h.counts[i]++
	if h.total == 0 {
		h.lo, h.hi = i, i
	} else if i < h.lo {
		h.lo = i
	} else if i > h.hi {
		h.hi = i
	}
	h.total++
}

// reset clears the touched range.
func (h *denseHist) reset() {
	if h.total > 0 {
		clear(h.counts[h.lo : h.hi+1])
	}
	h.total = 0
}

// stats summarises the histogram exactly as statsOf does for an hdrhistogram-go
// histogram holding the same values (same ranks, same equivalent values, same
// floating-point summation order).
func (h *denseHist) stats(clamped int64) LatencyStats {
	s := LatencyStats{Count: h.total, Clamped: clamped}
	if h.total == 0 {
		return s
	}
	total := float64(h.total)
	lo, _ := slotRange(h.lo)
	s.MinNs = lo
	s.MaxNs = highestEquivalent(h.hi)
	var mean float64
	for i := h.lo; i <= h.hi; i++ {
		if c := h.counts[i]; c != 0 {
			mean += float64(c) * float64(medianEquivalent(i)) / total
		}
	}
	var dev2 float64
	for i := h.lo; i <= h.hi; i++ {
		if c := h.counts[i]; c != 0 {
			d := float64(medianEquivalent(i)) - mean
			dev2 += (d * d) * float64(c) / total
		}
	}
	s.MeanNs, s.StdDevNs = mean, math.Sqrt(dev2)
	out := [...]*int64{&s.P50Ns, &s.P75Ns, &s.P90Ns, &s.P95Ns, &s.P99Ns, &s.P999Ns, &s.P9999Ns, &s.P99999Ns}
	var cum int64
	i := h.lo
	for k, p := range statPercentiles {
		rank := percentileRank(p, h.total)
		for cum+h.counts[i] < rank {
			cum += h.counts[i]
			i++
		}
		*out[k] = highestEquivalent(i)
	}
	return s
}

// percentileRank is HdrHistogram's count at a percentile: round half up, at least 1,
// at most the total.
func percentileRank(p float64, total int64) int64 {
	rank := p/100*float64(total) + 0.5
	if !(rank >= 1) {
		return 1
	}
	if rank >= float64(total) {
		return total
	}
	return int64(rank)
}

// Cookies of HdrHistogram's V2 encoding (word-size bits 0x10 set, as Java writes them).
const (
	v2EncodingCookie           = 0x1c849303 | 0x10
	v2CompressedEncodingCookie = 0x1c849304 | 0x10
)

// encodeV2 returns the histogram in HdrHistogram's V2 compressed encoding, base64: a
// 40-byte header (cookie, payload length, normalizing offset 0, significant digits,
// lowest and highest trackable values, integer-to-double ratio 1.0) and the counts up
// to the maximum's slot as ZigZag LEB128 (9 bytes at most), runs of zeros as their
// negated length; all of it zlib-compressed behind the compressed cookie and length.
func (h *denseHist) encodeV2() []byte {
	e := &h.enc
	e.payload.Reset()
	var hdr [40]byte
	limit := 1
	if h.total > 0 {
		limit = h.hi + 1
	}
	body := make([]byte, 0, 64)
	e.payload.Write(hdr[:]) // placeholder, filled once the payload length is known
	for i := 0; i < limit; {
		c := h.counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && h.counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				c = -zeros
			}
		}
		body = appendZigZag(body[:0], c)
		e.payload.Write(body)
	}
	p := e.payload.Bytes()
	binary.BigEndian.PutUint32(p[0:], v2EncodingCookie)
	binary.BigEndian.PutUint32(p[4:], uint32(len(p)-40))
	binary.BigEndian.PutUint32(p[8:], 0)
	binary.BigEndian.PutUint32(p[12:], histSigFigs)
	binary.BigEndian.PutUint64(p[16:], uint64(histLowest))
	binary.BigEndian.PutUint64(p[24:], uint64(histHighest))
	binary.BigEndian.PutUint64(p[32:], math.Float64bits(1.0))

	e.out.Reset()
	e.out.Write(hdr[:8])
	if e.zw == nil {
		e.zw = zlib.NewWriter(&e.out)
	} else {
		e.zw.Reset(&e.out)
	}
	if _, err := e.zw.Write(p); err != nil {
		panic(fmt.Sprintf("reports: compressing a histogram in memory: %v", err))
	}
	if err := e.zw.Close(); err != nil {
		panic(fmt.Sprintf("reports: compressing a histogram in memory: %v", err))
	}
	raw := e.out.Bytes()
	binary.BigEndian.PutUint32(raw[0:], v2CompressedEncodingCookie)
	binary.BigEndian.PutUint32(raw[4:], uint32(len(raw)-8))
	out := make([]byte, base64.StdEncoding.EncodedLen(len(raw)))
	base64.StdEncoding.Encode(out, raw)
	return out
}

// appendZigZag appends v as ZigZag LEB128 in HdrHistogram's 9-byte variant: seven
// bits per byte with a continuation bit, and a full eighth byte of 8 bits last.
func appendZigZag(b []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	for i := 0; i < 8; i++ {
		if u>>7 == 0 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u))
}

package reports

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// v2Encoder encodes interval histograms for the .hlog files in HdrHistogram's V2
// compressed encoding, reusing one zlib writer and its buffers across intervals.
//
// Why not hdrhistogram-go's Encode: it builds a new zlib writer at best compression
// for every call, about 800 KB of allocation for a histogram whose payload is a few
// hundred bytes to a few kilobytes, so the three .hlog files of a 10-minute run at
// 1 s intervals allocated 1.5 GB and took three quarters of the time of writing the
// whole report.
//
// Only the byte encoding is local: the histograms are the library's, and the counts
// encoded are the ones Histogram.Export returns. TestV2EncoderMatchesLibrary checks
// that the uncompressed bytes equal the library's own encoding and that
// hdrhistogram.Decode reads the result back equal.
type v2Encoder struct {
	payload []byte       // header and counts before compression
	out     bytes.Buffer // cookie, length and the zlib stream
	zw      *zlib.Writer
	b64     []byte
}

// Cookies of the V2 encoding with the word-size bits (0x10) Java and hdrhistogram-go
// set.
const (
	v2EncodingCookie           = 0x1c849303 | 0x10
	v2CompressedEncodingCookie = 0x1c849304 | 0x10
	v2HeaderSize               = 40
)

func newV2Encoder() *v2Encoder {
	e := &v2Encoder{}
	// The fastest level: the payloads are small, and .hlog files come out about 5 %
	// larger than at the default level for a third less compression time.
	e.zw, _ = zlib.NewWriterLevel(&e.out, zlib.BestSpeed)
	return e
}

// encode returns h in the V2 compressed encoding, base64 as in a .hlog line. The
// result is valid until the next call.
func (e *v2Encoder) encode(h *hdrhistogram.Histogram) []byte {
	snap := h.Export()

	// The counts up to the maximum's slot (at least one), as ZigZag LEB128 in the
	// 9-byte variant; a run of zeros longer than one is written as its negated length.
	limit := 1
	for i := len(snap.Counts) - 1; i > 0; i-- {
		if snap.Counts[i] != 0 {
			limit = i + 1
			break
		}
	}
	var hdr [v2HeaderSize]byte
	b := append(e.payload[:0], hdr[:]...) // the header is filled in once the payload length is known
	for i := 0; i < limit; {
		c := snap.Counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && snap.Counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				c = -zeros
			}
		}
		b = appendZigZag(b, c)
	}
	e.payload = b
	ratio := snap.IntegerToDoubleConversionRatio
	if ratio == 0 {
		ratio = 1
	}
	binary.BigEndian.PutUint32(b[0:], v2EncodingCookie)
	binary.BigEndian.PutUint32(b[4:], uint32(len(b)-v2HeaderSize))
	binary.BigEndian.PutUint32(b[8:], 0) // normalizing index offset
	binary.BigEndian.PutUint32(b[12:], uint32(snap.SignificantFigures))
	binary.BigEndian.PutUint64(b[16:], uint64(snap.LowestTrackableValue))
	binary.BigEndian.PutUint64(b[24:], uint64(snap.HighestTrackableValue))
	binary.BigEndian.PutUint64(b[32:], math.Float64bits(ratio))

	e.out.Reset()
	e.out.Write(hdr[:8]) // cookie and compressed length, filled in below
	e.zw.Reset(&e.out)
	if _, err := e.zw.Write(b); err != nil {
		panic(fmt.Sprintf("reports: compressing a histogram in memory: %v", err))
	}
	if err := e.zw.Close(); err != nil {
		panic(fmt.Sprintf("reports: compressing a histogram in memory: %v", err))
	}
	raw := e.out.Bytes()
	binary.BigEndian.PutUint32(raw[0:], v2CompressedEncodingCookie)
	binary.BigEndian.PutUint32(raw[4:], uint32(len(raw)-8))
	n := base64.StdEncoding.EncodedLen(len(raw))
	if cap(e.b64) < n {
		e.b64 = make([]byte, n)
	}
	e.b64 = e.b64[:n]
	base64.StdEncoding.Encode(e.b64, raw)
	return e.b64
}

// appendZigZag appends v as HdrHistogram's ZigZag LEB128-64b9B: seven bits per byte
// with a continuation bit, and a last, ninth byte carrying a full eight bits.
func appendZigZag(b []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	for range 8 {
		if u>>7 == 0 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u))
}

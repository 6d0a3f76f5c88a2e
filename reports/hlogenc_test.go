package reports

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v2Inflate splits a base64 V2 compressed encoding into its cookie and its
// uncompressed contents, checking the compressed length field on the way.
func v2Inflate(t *testing.T, enc []byte) (cookie uint32, contents []byte) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(string(enc))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(raw), 8)
	require.Equal(t, len(raw)-8, int(binary.BigEndian.Uint32(raw[4:])), "compressed length field")
	zr, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	require.NoError(t, err)
	contents, err = io.ReadAll(zr)
	require.NoError(t, err)
	return binary.BigEndian.Uint32(raw), contents
}

// TestV2EncoderMatchesLibrary checks the .hlog encoder against hdrhistogram-go: the
// same cookie and the same uncompressed header and counts as the library's Encode,
// and hdrhistogram.Decode reads it back equal to the histogram encoded. One encoder
// serves every case, as it serves every interval of a .hlog file.
func TestV2EncoderMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	enc := newV2Encoder()
	cases := []struct {
		name   string
		values func(h *hdrhistogram.Histogram)
	}{
		{"empty", func(*hdrhistogram.Histogram) {}},
		{"zero", func(h *hdrhistogram.Histogram) { require.NoError(t, h.RecordValue(0)) }},
		{"one hour", func(h *hdrhistogram.Histogram) { require.NoError(t, h.RecordValue(histHighest)) }},
		{"nine-byte counts", func(h *hdrhistogram.Histogram) {
			require.NoError(t, h.RecordValues(int64(time.Millisecond), 1<<60))
			require.NoError(t, h.RecordValues(int64(time.Second), 3))
		}},
		{"random", func(h *hdrhistogram.Histogram) {
			for range 50_000 {
				var v int64
				switch rng.IntN(3) {
				case 0:
					v = rng.Int64N(2000)
				case 1:
					v = int64(float64(time.Millisecond) * math.Exp(rng.NormFloat64()))
				default:
					v = rng.Int64N(histHighest + 1)
				}
				require.NoError(t, h.RecordValue(v))
			}
		}},
		{"after random", func(h *hdrhistogram.Histogram) { require.NoError(t, h.RecordValue(int64(time.Microsecond))) }},
	}
	for _, c := range cases {
		h := newHistogram()
		c.values(h)
		ours := enc.encode(h)
		lib, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		require.NoError(t, err)
		oursCookie, oursContents := v2Inflate(t, ours)
		libCookie, libContents := v2Inflate(t, lib)
		assert.Equal(t, libCookie, oursCookie, c.name)
		assert.Equal(t, libContents, oursContents, "%s: uncompressed V2 bytes", c.name)

		dec, err := hdrhistogram.Decode(ours)
		require.NoError(t, err, c.name)
		assert.True(t, dec.Equals(h), "%s: decoded histogram differs", c.name)
		assert.Equal(t, h.TotalCount(), dec.TotalCount(), c.name)
	}
}

func TestAppendZigZag(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0}},
		{1, []byte{2}},
		{-1, []byte{1}},
		{-2, []byte{3}},
		{63, []byte{0x7e}},
		{64, []byte{0x80, 0x01}},
		{math.MaxInt64, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{math.MinInt64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		assert.Equal(t, c.want, appendZigZag(nil, c.v), "%d", c.v)
	}
}

package proto

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func batch(kind PayloadKind, c Compression, n int) *RecordBatch {
	b := &RecordBatch{ProducerID: NoProducerID, Compression: c, Payload: kind}
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{Value: int64(i), Size: 1024}
	}
	b.SetRecords(recs)
	return b
}

func TestPayloadIsPure(t *testing.T) {
	for _, k := range []PayloadKind{PayloadRandom, PayloadText, PayloadJSON, PayloadZeros} {
		a := Payload(k, 7, 1000, nil)
		b := Payload(k, 7, 1000, make([]byte, 3))
		require.Len(t, a, 1000)
		assert.Equal(t, a, b[3:], k.String())
		if k == PayloadZeros {
			assert.Equal(t, make([]byte, 1000), a)
			continue
		}
		assert.NotEqual(t, a, Payload(k, 8, 1000, nil), k.String())
	}
}

func TestCompressionRoundTripsAndRatios(t *testing.T) {
	var k Codecs
	for _, c := range []Compression{CompressionGzip, CompressionSnappy, CompressionLZ4, CompressionZstd} {
		for _, kind := range []PayloadKind{PayloadRandom, PayloadText, PayloadJSON, PayloadZeros} {
			raw := EncodeRecords(batch(kind, c, 16), nil)
			out, err := k.Compress(c, raw, nil)
			require.NoError(t, err)
			back, err := k.Decompress(c, out, len(raw), nil)
			require.NoError(t, err)
			require.Equal(t, raw, back, "%s %s", c, kind)
			ratio := float64(len(out)) / float64(len(raw))
			switch kind {
			case PayloadRandom:
				assert.Greater(t, ratio, 0.95, "%s %s", c, kind)
			default:
				assert.Less(t, ratio, 0.6, "%s %s", c, kind)
			}
		}
	}
}

func TestSamplerCarriesTheRatio(t *testing.T) {
	s := NewSampler(0.25)
	var sampled int
	for i := 0; i < 16; i++ {
		o, err := s.Size(batch(PayloadText, CompressionLZ4, 16))
		require.NoError(t, err)
		if o.Sampled {
			sampled++
		}
		assert.Less(t, o.RecordsBytes, o.RawBytes)
	}
	assert.Equal(t, WarmUp+2, sampled, "the warm-up batches, then one in four")
	assert.Less(t, s.Ratio(CompressionLZ4, PayloadText), 0.7)
	o, err := s.Size(batch(PayloadText, CompressionNone, 4))
	require.NoError(t, err)
	assert.Equal(t, o.RawBytes, o.RecordsBytes)
}

func TestSamplerSizesEveryCodecAndPayload(t *testing.T) {
	s := NewSampler(1)
	for c := range Compression(len(compressionNames)) {
		for k := range PayloadKind(len(payloadNames)) {
			o, err := s.Size(batch(k, c, 4))
			require.NoError(t, err, "%s %s", c, k)
			assert.Positive(t, o.RecordsBytes, "%s %s", c, k)
		}
	}
}

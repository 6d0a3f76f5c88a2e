package proto

import (
	"math"
)

// Sampler decides a batch's compressed size: it compresses the first WarmUp batches of
// each codec and payload kind for real, then every Nth (N = 1/Rate), and scales the
// others by the ratio measured so far for the same codec and payload kind.
type Sampler struct {
	// Rate is the fraction of batches compressed for real, in (0, 1]; 1 compresses all.
	Rate float64

	codecs Codecs
	raw    []byte
	out    []byte
	seen   [numCodecs][numPayloads]uint64  // batches seen per codec and payload kind
	sumIn  [numCodecs][numPayloads]float64 // raw bytes of sampled batches
	sumOut [numCodecs][numPayloads]float64 // compressed bytes of sampled batches
}

// The sizes of the Sampler's tables: one row per codec, one column per payload kind.
const (
	numCodecs   = len(compressionNames)
	numPayloads = len(payloadNames)
)

// WarmUp is how many batches of each codec and payload kind a Sampler compresses for
// real before it starts sampling, so that the ratio is measured before it is used.
const WarmUp = 8

// NewSampler returns a Sampler compressing the given fraction of batches.
func NewSampler(rate float64) *Sampler { return &Sampler{Rate: rate} }

// Outcome is what sizing a batch found.
type Outcome struct {
	// RecordsBytes is the size of the records section after compression.
	RecordsBytes int
	// RawBytes is its size before compression.
	RawBytes int
	// Sampled says whether the real codec ran on this batch.
	Sampled bool
}

// Size returns the compressed size of b's records section. It does not modify b.
func (s *Sampler) Size(b *RecordBatch) (Outcome, error) {
	raw := b.UncompressedBytes()
	if b.Compression == CompressionNone {
		return Outcome{RecordsBytes: raw, RawBytes: raw}, nil
	}
	c, k := int(b.Compression), int(b.Payload)
	if c >= len(s.seen) || k >= len(s.seen[0]) {
		return Outcome{}, errUnknown(b)
	}
	n := s.seen[c][k]
	s.seen[c][k]++
	every := uint64(1)
	if s.Rate > 0 && s.Rate < 1 {
		every = uint64(math.Round(1 / s.Rate))
	}
	if n >= WarmUp && n%every != 0 && s.sumIn[c][k] > 0 {
		ratio := s.sumOut[c][k] / s.sumIn[c][k]
		return Outcome{RecordsBytes: int(math.Ceil(float64(raw) * ratio)), RawBytes: raw}, nil
	}
	s.raw = EncodeRecords(b, s.raw[:0])
	var err error
	s.out, err = s.codecs.Compress(b.Compression, s.raw, s.out[:0])
	if err != nil {
		return Outcome{}, err
	}
	s.sumIn[c][k] += float64(len(s.raw))
	s.sumOut[c][k] += float64(len(s.out))
	// Report in the same units as the estimate: scale the measured ratio to raw.
	size := int(math.Ceil(float64(raw) * float64(len(s.out)) / float64(len(s.raw))))
	return Outcome{RecordsBytes: size, RawBytes: raw, Sampled: true}, nil
}

// Ratio is the mean compressed/raw ratio measured for a codec and payload kind, 1 if
// nothing was sampled yet.
func (s *Sampler) Ratio(c Compression, k PayloadKind) float64 {
	if int(c) >= len(s.seen) || int(k) >= len(s.seen[0]) || s.sumIn[c][k] == 0 {
		return 1
	}
	return s.sumOut[c][k] / s.sumIn[c][k]
}

type codecError string

func (e codecError) Error() string { return string(e) }

func errUnknown(b *RecordBatch) error {
	return codecError("codec: unknown compression " + b.Compression.String() + " or payload " + b.Payload.String())
}

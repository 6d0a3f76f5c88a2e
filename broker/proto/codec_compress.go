package proto

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codecs holds reusable encoders and decoders. It is not safe for concurrent use; each
// node owns its own (nodes are single-threaded).
type Codecs struct {
	gzw  *gzip.Writer
	zw   *zstd.Encoder
	zr   *zstd.Decoder
	lz   lz4.Compressor
	buf  bytes.Buffer
	work []byte
}

// Compress appends src compressed with c to dst.
func (k *Codecs) Compress(c Compression, src, dst []byte) ([]byte, error) {
	switch c {
	case CompressionNone:
		return append(dst, src...), nil
	case CompressionGzip:
		k.buf.Reset()
		if k.gzw == nil {
			k.gzw = gzip.NewWriter(&k.buf)
		} else {
			k.gzw.Reset(&k.buf)
		}
		if _, err := k.gzw.Write(src); err != nil {
			return dst, err
		}
		if err := k.gzw.Close(); err != nil {
			return dst, err
		}
		return append(dst, k.buf.Bytes()...), nil
	case CompressionSnappy:
		n := s2.MaxEncodedLen(len(src))
		if cap(k.work) < n {
			k.work = make([]byte, n)
		}
		return append(dst, s2.EncodeSnappy(k.work[:n], src)...), nil
	case CompressionLZ4:
		n := lz4.CompressBlockBound(len(src))
		if cap(k.work) < n {
			k.work = make([]byte, n)
		}
		m, err := k.lz.CompressBlock(src, k.work[:n])
		if err != nil {
			return dst, err
		}
		if m == 0 { // incompressible: lz4 stores it raw
			return append(dst, src...), nil
		}
		return append(dst, k.work[:m]...), nil
	case CompressionZstd:
		if k.zw == nil {
			w, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
			if err != nil {
				return dst, err
			}
			k.zw = w
		}
		return k.zw.EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("unknown compression %d", c)
}

// Decompress appends the decompression of src (compressed with c from rawLen bytes) to
// dst. Tests use it to check that compression round-trips.
func (k *Codecs) Decompress(c Compression, src []byte, rawLen int, dst []byte) ([]byte, error) {
	switch c {
	case CompressionNone:
		return append(dst, src...), nil
	case CompressionGzip:
		r, err := gzip.NewReader(bytes.NewReader(src))
		if err != nil {
			return dst, err
		}
		out, err := io.ReadAll(r)
		return append(dst, out...), err
	case CompressionSnappy:
		out, err := s2.Decode(nil, src)
		return append(dst, out...), err
	case CompressionLZ4:
		if len(src) == rawLen {
			return append(dst, src...), nil
		}
		out := make([]byte, rawLen)
		n, err := lz4.UncompressBlock(src, out)
		return append(dst, out[:n]...), err
	case CompressionZstd:
		if k.zr == nil {
			r, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return dst, err
			}
			k.zr = r
		}
		return k.zr.DecodeAll(src, dst)
	}
	return dst, fmt.Errorf("unknown compression %d", c)
}

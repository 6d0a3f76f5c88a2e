// Package codec generates record payload bytes and compresses record batches with real
// codecs, for the producer and the broker alike.
//
// Payload bytes are a pure function of (payload kind, value id, size): nothing stores
// them, and anyone who needs them (a compression sample, a test) regenerates them. A
// Sampler compresses a deterministic sample of batches with the real codec (gzip and zstd
// from klauspost/compress, snappy through its snappy-compatible s2 encoder, lz4 from
// pierrec/lz4) and carries the measured ratio over to the batches it does not compress,
// so that a run moving millions of records pays for real compression only on the
// sample. A sampling rate of 1 compresses every batch.
//
// The package is pure computation (no Env) and sits at layer 0 with proto, so both the
// producer client and the broker use it.
package codec

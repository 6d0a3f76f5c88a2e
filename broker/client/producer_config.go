package client

import (
	"fmt"
	"math"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// ProducerConfig holds the producer's settings, Kafka keys in MixedCaps.
type ProducerConfig struct {
	// BootstrapServers is bootstrap.servers: brokers asked for metadata first.
	BootstrapServers []node.ID
	// Acks is acks: 0, 1 or all. Default all.
	Acks proto.Acks
	// BatchSize is batch.size in bytes: a partition's batch is sent once it is this
	// full, by Kafka's estimate of its size on the wire (see Producer.estimatedBytes).
	// Default 16384.
	BatchSize int
	// Linger is linger.ms: how long a batch waits for more records. Default 5 ms
	// (Kafka 4.0's default).
	Linger time.Duration
	// BufferMemory is buffer.memory in bytes: records waiting to be sent or
	// acknowledged; a full buffer blocks Send. Default 32 MiB.
	BufferMemory int64
	// MaxBlock is max.block.ms: how long Send may block on a full buffer or missing
	// metadata before it fails. Default 60 s.
	MaxBlock time.Duration
	// CompressionType is compression.type. Default none.
	CompressionType proto.Compression
	// Payload is how the record values' bytes are generated (a logsim setting).
	Payload proto.PayloadKind
	// CompressionSampleRate is the fraction of batches compressed for real after the
	// first proto.WarmUp of each codec and payload kind; the rest take the measured
	// ratio (a logsim setting). Default 0.001; 1 compresses all.
	CompressionSampleRate float64
	// MaxInFlightRequestsPerConnection is max.in.flight.requests.per.connection.
	// Default 5 (at most 5 with idempotence).
	MaxInFlightRequestsPerConnection int
	// Retries is retries. Default MaxInt32.
	Retries int
	// RetryBackoff is retry.backoff.ms. Default 100 ms.
	RetryBackoff time.Duration
	// RequestTimeout is request.timeout.ms: the longest wait for a response, also
	// sent to the broker as the acks=all timeout. Default 30 s.
	RequestTimeout time.Duration
	// DeliveryTimeout is delivery.timeout.ms: the longest time from Send to the
	// outcome, retries included. Default 120 s.
	DeliveryTimeout time.Duration
	// EnableIdempotence is enable.idempotence. Default true (requires acks=all).
	EnableIdempotence bool
	// MaxRequestSize is max.request.size in bytes. Default 1 MiB.
	MaxRequestSize int
	// MetadataMaxAge is metadata.max.age.ms. Default 5 min.
	MetadataMaxAge time.Duration
	// CPU is the client's processing cost model.
	CPU ClientCPU
	// CorrelationBase namespaces correlation ids when a node hosts several
	// components; leave 0 for the default (1<<40).
	CorrelationBase int64
}

// ClientCPU is what the client charges for its work.
type ClientCPU struct {
	// PerRecord is the cost of accepting one record (serialization, partitioning).
	// Default 1 µs.
	PerRecord time.Duration
	// PerRequest is the cost of building or parsing one request. Default 10 µs.
	PerRequest time.Duration
	// CompressBytesPerSecond is, per codec (indexed by proto.Compression), the rate at
	// which the producer compresses. Defaults: gzip 60 MB/s, snappy 500 MB/s, lz4
	// 700 MB/s, zstd 400 MB/s.
	CompressBytesPerSecond [5]float64
}

// DefaultProducerConfig is Kafka's defaults.
func DefaultProducerConfig(bootstrap ...node.ID) ProducerConfig {
	return ProducerConfig{
		BootstrapServers:                 bootstrap,
		Acks:                             proto.AcksAll,
		BatchSize:                        16384,
		Linger:                           5 * time.Millisecond,
		BufferMemory:                     32 << 20,
		MaxBlock:                         60 * time.Second,
		CompressionSampleRate:            0.001,
		MaxInFlightRequestsPerConnection: 5,
		Retries:                          math.MaxInt32,
		RetryBackoff:                     100 * time.Millisecond,
		RequestTimeout:                   30 * time.Second,
		DeliveryTimeout:                  120 * time.Second,
		EnableIdempotence:                true,
		MaxRequestSize:                   1 << 20,
		MetadataMaxAge:                   5 * time.Minute,
		CPU: ClientCPU{PerRecord: time.Microsecond, PerRequest: 10 * time.Microsecond,
			CompressBytesPerSecond: [5]float64{0, 60e6, 500e6, 700e6, 400e6}},
	}
}

// Validate checks the settings as Kafka's producer does at construction.
func (c ProducerConfig) Validate() error {
	switch {
	case len(c.BootstrapServers) == 0:
		return fmt.Errorf("bootstrap.servers is empty")
	case c.BatchSize <= 0:
		return fmt.Errorf("batch.size must be positive, got %d", c.BatchSize)
	case c.BufferMemory < int64(c.BatchSize):
		return fmt.Errorf("buffer.memory %d is smaller than batch.size %d", c.BufferMemory, c.BatchSize)
	case c.MaxInFlightRequestsPerConnection < 1:
		return fmt.Errorf("max.in.flight.requests.per.connection must be at least 1")
	case c.EnableIdempotence && c.Acks != proto.AcksAll:
		return fmt.Errorf("enable.idempotence requires acks=all, got acks=%s", c.Acks)
	case c.EnableIdempotence && c.MaxInFlightRequestsPerConnection > 5:
		return fmt.Errorf("enable.idempotence requires max.in.flight.requests.per.connection <= 5, got %d", c.MaxInFlightRequestsPerConnection)
	case c.EnableIdempotence && c.Retries < 1:
		return fmt.Errorf("enable.idempotence requires retries > 0")
	case c.RequestTimeout <= 0 || c.DeliveryTimeout < c.Linger+c.RequestTimeout:
		return fmt.Errorf("delivery.timeout.ms %v must be at least linger.ms + request.timeout.ms (%v)", c.DeliveryTimeout, c.Linger+c.RequestTimeout)
	case c.CompressionSampleRate <= 0 || c.CompressionSampleRate > 1:
		return fmt.Errorf("compression sample rate must be in (0, 1], got %v", c.CompressionSampleRate)
	case c.MaxRequestSize < c.BatchSize:
		return fmt.Errorf("max.request.size %d is smaller than batch.size %d", c.MaxRequestSize, c.BatchSize)
	}
	return nil
}

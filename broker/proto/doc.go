// Package proto holds the messages brokers, the controller and clients exchange, named
// after Kafka's APIs (Produce, Fetch, ListOffsets, Metadata, OffsetForLeaderEpoch,
// InitProducerId, the group APIs FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, OffsetCommit and OffsetFetch, and the KRaft controller's
// BrokerRegistration, BrokerHeartbeat and AlterPartition), Kafka's error codes by
// name, and the record batch descriptor.
//
// Messages are Go structs, not bytes: every type implements the host contract's Message
// interface through Kind (a constant name) and Size (the bytes the message would occupy
// on the wire), so the simulator charges bandwidth without anything being encoded. A
// message is immutable once sent; receivers may keep references to its parts.
//
// Records are descriptors (see DESIGN.md, "Records and payloads"): a Record names its
// value, key, size and timestamp, and a RecordBatch carries Kafka's batch header fields
// (base offset, producer id, epoch and base sequence, compression, CRC). A batch packs
// its records as Kafka lays them out, varints with deltas from record to record and
// keys inline (SetRecords, Records), because logs hold every record of a run: about 10
// bytes a record instead of a 40-byte struct. The leader takes a batch over as it
// stamps its offset (Stamp); after that a batch never changes. Payload bytes
// are generated on demand: Payload makes a value's bytes as a pure function of (payload
// kind, value id, size), and a Sampler compresses a deterministic sample of batches with
// the real codecs (gzip and zstd from klauspost/compress, snappy through its
// snappy-compatible s2 encoder, lz4 from pierrec/lz4), carrying the measured ratio over
// to the batches it does not compress. The codec code lives here, at layer 0, so that
// the producer client and the broker share it.
package proto

// Package client holds Kafka's client state machines as components that a client
// node's Machine embeds: the Producer and the Consumer, each on its own Metadata, and
// App, the application loop around a consumer.
//
// A component is built with the host node's Env and its config. The host passes every
// event to the component's Handle, which consumes its own (responses to its requests,
// its timers, whose kinds are namespaced by TimerBase so the host can own other timers)
// and returns false for the rest. Disconnected events are processed and reported as not
// consumed, so that every component on the node sees them.
//
// The Producer follows Kafka's: the default partitioner (murmur2 of the key, uniform
// sticky partitioning without a key), an accumulator with batch.size (measured, as
// Kafka does, against the batch's estimated size on the wire: with compression the
// topic's learned compression ratio lets a batch hold more records), linger.ms and
// buffer.memory, real compression for a deterministic sample of batches,
// max.in.flight.requests.per.connection, retries with retry.backoff.ms,
// request.timeout.ms, delivery.timeout.ms, acks, and the idempotent producer
// (InitProducerId, per-partition sequence numbers). Every send completes exactly once
// as OK (with its offset), Fail (only when the records were certainly not appended
// anywhere) or Info (unknown), with the Kafka error name: the history's ok, fail and
// info.
//
// The Consumer follows Kafka's KafkaConsumer: subscribe with group management (the
// classic group protocol: eager rebalancing with the range and roundrobin assignors,
// cooperative incremental rebalancing with cooperative-sticky) or assign; positions
// from committed offsets or auto.offset.reset; KIP-320 truncation detection (which can
// be switched off); fetch.min.bytes, fetch.max.wait.ms, max.partition.fetch.bytes,
// max.poll.records; enable.auto.commit and explicit commits; max.poll.interval.ms. App
// adds what the application does with the records: processing time per record and
// when it commits (auto, after processing, before processing, or an asynchronous
// worker). When nothing observes single completions (no App.OnProcessed) and the
// processing time is a BatchSampler, App processes each poll's records under one timer
// that ends when the last record would have: one event per poll instead of one per
// record. Every subscribe, assign, poll, commit and rebalance is reported as a
// ConsumerEvent for the history. An App hands each poll's records back to its consumer
// once processed, for the next poll to fill: an observer must copy what it keeps of a
// ConsumerEvent's Records.
package client

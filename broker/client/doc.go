// Package client holds Kafka's client state machines as components that a client
// node's Machine embeds: the Producer now, the consumer later, both on the shared
// Metadata.
//
// A component is built with the host node's Env and its config. The host passes every
// event to the component's Handle, which consumes its own (responses to its requests,
// its timers, whose kinds are namespaced by TimerBase so the host can own other timers)
// and returns false for the rest. Disconnected events are processed and reported as not
// consumed, so that every component on the node sees them.
//
// The Producer follows Kafka's: the default partitioner (murmur2 of the key, uniform
// sticky partitioning without a key), an accumulator with batch.size, linger.ms and
// buffer.memory, real compression for a deterministic sample of batches,
// max.in.flight.requests.per.connection, retries with retry.backoff.ms,
// request.timeout.ms, delivery.timeout.ms, acks, and the idempotent producer
// (InitProducerId, per-partition sequence numbers). Every send completes exactly once
// as OK (with its offset), Fail (only when the records were certainly not appended
// anywhere) or Info (unknown), with the Kafka error name: the history's ok, fail and
// info.
package client

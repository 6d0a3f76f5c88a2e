// Package checker judges a history of a Kafka-like system from the outside, the way
// Jepsen's Kafka checker (jepsen.tests.kafka) does, and adds what Jepsen's checker
// cannot see and a linearizability check of each partition with porcupine.
//
// Check takes a history (package checker/history) and Options and returns a Result
// that marshals to the result object of the history specification: validity, the
// anomaly types found, the ones that make the history invalid, every anomaly instance
// with Jepsen's field names, the linearizability verdict and statistics. WriteText
// explains the same result in sentences for people.
//
// Anomalies with Jepsen's semantics: inconsistent-offsets, duplicate, lost-write,
// unseen, G1a, precommitted-read, poll-skip, nonmonotonic-poll, int-poll-skip,
// int-nonmonotonic-poll, int-send-skip, int-nonmonotonic-send, nonmonotonic-send, and
// the cycles G0 and G1c with their -process and -realtime variants. This package's own
// anomaly types are documented on the constants that name them (TypeUnexpectedValue,
// TypeGroupLoss, TypeRealtimeSendOrder, TypeExpiredUnconsumed, TypeNonlinearizable).
//
// The checker never imports the broker or the simulator: it can judge histories of
// any system written in the format, including Jepsen's own (see checker/edn).
package checker

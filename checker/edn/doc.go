// Package edn reads Jepsen Kafka histories (history.edn of jepsen.tests.kafka and of
// Maelstrom's kafka workload) into logsim histories, so that the checker can judge
// histories of real systems tested with Jepsen.
//
// It parses the subset of EDN that Jepsen writes (maps, vectors, lists, sets,
// keywords, symbols, strings, integers, nil, booleans, tagged literals such as
// #jepsen.history.Op{...}, comments and #_ discards), either one operation per line or
// one vector of operations. Keywords become strings (:x becomes "x"), integer keys
// become decimal strings (Jepsen's keys are integers; logsim's are strings). Nemesis
// operations become fault events; a completion's :rebalance-log becomes rebalance
// events; operations the checker does not model (e.g. :debug-topic-partitions) are
// dropped. Indices are renumbered 0, 1, 2, ... in file order, and a :time lower than
// the previous operation's is raised to it (the file's order is the history's order).
package edn

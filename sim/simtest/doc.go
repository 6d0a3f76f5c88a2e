// Package simtest is test support: a Kafka-model cluster (controller, brokers, client
// nodes with producers) on the simulator, driven by a small command language from
// script files whose expected output is kept beside the commands, in the style of etcd
// raft's datadriven interaction tests.
//
// A script is a sequence of blocks:
//
//	# comment lines and blank lines between blocks are ignored
//	command arg key=value ...
//	----
//	expected output, one or more lines
//
// RunScript executes each command and compares its output with the expected text;
// with -rewrite it writes the actual output back into the file instead (read the diff
// before committing). The commands are documented on Harness.Run.
//
// Only tests import this package (it sits above the broker in the layer table).
package simtest

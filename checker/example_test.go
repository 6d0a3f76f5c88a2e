package checker_test

import (
	"fmt"
	"os"
	"strings"

	"logsim/checker"
	"logsim/checker/history"
)

// Judge a history: an acknowledged record at offset 0 was never read, although a poll
// read offset 1. (The partition is still linearizable: a poll may start anywhere; it
// is Jepsen's lost-write analysis that sees the loss.)
func ExampleCheck() {
	in := `{"index":0,"time":1000,"process":0,"type":"invoke","f":"send","value":[["send","orders/0",1]]}
{"index":1,"time":2000,"process":0,"type":"ok","f":"send","value":[["send","orders/0",[0,1]]]}
{"index":2,"time":3000,"process":0,"type":"invoke","f":"send","value":[["send","orders/0",2]]}
{"index":3,"time":4000,"process":0,"type":"ok","f":"send","value":[["send","orders/0",[1,2]]]}
{"index":4,"time":5000,"process":1,"type":"invoke","f":"poll","value":[["poll"]]}
{"index":5,"time":6000,"process":1,"type":"ok","f":"poll","value":[["poll",{"orders/0":[[1,2]]}]]}
`
	ops, err := history.ReadAll(strings.NewReader(in), "example.jsonl")
	if err != nil {
		panic(err)
	}
	res, err := checker.Check(ops, checker.Options{Linearizability: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Valid, res.Errors, res.Linearizable)
	if err := res.WriteText(os.Stdout, 10); err != nil {
		panic(err)
	}
	// Output:
	// false [lost-write unseen] ok
	// INVALID: lost-write (1), unseen (1).
	// Linearizability (porcupine, per partition): ok.
	//
	// lost-write: 1 (error)
	//   - Value 1 was acknowledged at offset 0 of orders/0 by process 0's send (index 1, invoked at 1µs, ok at 2µs), but no poll ever returned it, although polls read past it (e.g. process 1's poll (index 5, invoked at 5µs, ok at 6µs) read offset 1): an acknowledged write was lost.
	//
	// unseen: 1 (error)
	//   - On orders/0, 1 acknowledged record was never returned by any poll (values 1); the last was acknowledged at 2µs.
	//
	// 3 operations (0 pending), 0 events, 1 key, 1 record read.
}

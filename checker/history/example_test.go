package history_test

import (
	"fmt"
	"os"
	"strings"

	"logsim/checker/history"
)

// A harness records what its clients did; Append numbers the lines.
func ExampleWriter() {
	w := history.NewWriter(os.Stdout)
	ops := []history.Op{
		{Time: 1000, Process: 0, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("orders/0", history.Int(1))}},
		{Time: 2500, Process: 0, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("orders/0", 0, history.Int(1))}},
		{Time: 4000, Process: 1, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 4800, Process: 1, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "orders/0", Records: []history.Record{{Offset: 0, Value: history.Int(1)}}})}},
	}
	for i := range ops {
		if err := w.Append(&ops[i]); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	// Output:
	// {"index":0,"time":1000,"process":0,"type":"invoke","f":"send","value":[["send","orders/0",1]]}
	// {"index":1,"time":2500,"process":0,"type":"ok","f":"send","value":[["send","orders/0",[0,1]]]}
	// {"index":2,"time":4000,"process":1,"type":"invoke","f":"poll","value":[["poll"]]}
	// {"index":3,"time":4800,"process":1,"type":"ok","f":"poll","value":[["poll",{"orders/0":[[0,1]]}]]}
}

// Errors name the file, line and column, what is wrong and what is accepted.
func ExampleReader() {
	in := `{"index":0,"time":1,"process":0,"type":"invoke","f":"produce","value":null}`
	_, err := history.ReadAll(strings.NewReader(in), "run.jsonl")
	fmt.Println(err)
	// Output:
	// run.jsonl:1:53: unknown f "produce" (accepted: send, poll, txn, assign, subscribe, commit, crash; events: rebalance, log-start, truncate, leader, fault)
}

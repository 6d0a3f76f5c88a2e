package history

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const example = `{"index":0,"time":1000,"process":0,"type":"invoke","f":"send","value":[["send","orders/0",1]]}
{"index":1,"time":2500,"process":0,"type":"ok","f":"send","value":[["send","orders/0",[0,1]]]}
{"index":2,"time":3000,"process":1,"type":"invoke","f":"assign","seek_to_beginning":true,"value":["orders/0"]}
{"index":3,"time":3000,"process":1,"type":"ok","f":"assign","value":["orders/0"]}
{"index":4,"time":4000,"process":1,"type":"invoke","f":"poll","group":"g1","value":[["poll"]]}
{"index":5,"time":4800,"process":1,"type":"ok","f":"poll","group":"g1","value":[["poll",{"orders/0":[[0,1]],"orders/1":[]}]]}
{"index":6,"time":4900,"process":2,"type":"invoke","f":"txn","value":[["send","x","a\"b"],["poll"]]}
{"index":7,"time":5000,"process":-1,"type":"event","f":"rebalance","value":{"group":"g1","process":1,"generation":3,"assigned":["orders/0","orders/1"]}}
{"index":8,"time":5000,"process":-1,"type":"event","f":"log-start","value":{"orders/0":5}}
{"index":9,"time":5000,"process":-1,"type":"event","f":"truncate","value":{"orders/0":{"node":1,"offset":4,"epoch":2}}}
{"index":10,"time":5000,"process":-1,"type":"event","f":"leader","value":{"orders/0":{"node":2,"epoch":3}}}
{"index":11,"time":5000,"process":-1,"type":"event","f":"fault","value":{"name":"partition","action":"start","detail":"n1 | n2 n3"}}
{"index":12,"time":6000,"process":2,"type":"info","f":"txn","error":"REQUEST_TIMED_OUT","value":[["send","x",[null,"a\"b"]],["poll",{}]]}
{"index":13,"time":6000,"process":3,"type":"invoke","f":"commit","group":"g1","value":{"orders/0":1}}
{"index":14,"time":6100,"process":3,"type":"fail","f":"commit","error":"REBALANCE_IN_PROGRESS","group":"g1","value":{"orders/0":1}}
{"index":15,"time":6200,"process":4,"type":"invoke","f":"crash","value":null}
{"index":16,"time":6300,"process":4,"type":"info","f":"crash","value":null}
{"index":17,"time":6400,"process":5,"type":"invoke","f":"subscribe","group":"g1","value":["orders"]}
`

func TestRoundTrip(t *testing.T) {
	ops, err := ReadAll(strings.NewReader(example), "ex.jsonl")
	require.NoError(t, err)
	require.Len(t, ops, 18)

	assert.Equal(t, OK, ops[1].Type)
	require.Len(t, ops[1].Mops, 1)
	assert.Equal(t, SendAt("orders/0", 0, Int(1)), ops[1].Mops[0])
	assert.True(t, ops[2].SeekToBeginning)
	assert.Equal(t, "g1", ops[5].Group)
	assert.Equal(t, []KeyRecords{{Key: "orders/0", Records: []Record{{0, Int(1)}}}, {Key: "orders/1"}}, ops[5].Mops[0].Reads)
	assert.Equal(t, String(`a"b`), ops[6].Mops[0].Value)
	assert.Equal(t, &Rebalance{Group: "g1", Process: 1, Generation: 3, Assigned: []string{"orders/0", "orders/1"}}, ops[7].Rebalance)
	assert.Equal(t, []KeyOffset{{"orders/0", 5}}, ops[8].Offsets)
	assert.Equal(t, []ReplicaChange{{Key: "orders/0", Node: 1, Offset: 4, Epoch: 2}}, ops[9].Replicas)
	assert.Equal(t, []ReplicaChange{{Key: "orders/0", Node: 2, Offset: NoOffset, Epoch: 3}}, ops[10].Replicas)
	assert.Equal(t, &Fault{Name: "partition", Action: "start", Detail: "n1 | n2 n3"}, ops[11].Fault)
	assert.Equal(t, NoOffset, ops[12].Mops[0].Offset)
	assert.Equal(t, "REQUEST_TIMED_OUT", ops[12].Error)

	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range ops {
		require.NoError(t, w.Write(&ops[i]))
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, example, buf.String(), "writing what was read gives the same lines")

	rd := NewReader(strings.NewReader(example), "ex.jsonl")
	for {
		if _, err := rd.Read(); err == io.EOF {
			break
		}
	}
	assert.Equal(t, []int64{17}, rd.Pending())
}

func TestValuesKeepTheirForm(t *testing.T) {
	in := `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":[["send","k",1],["send","k","1"],["send","k",-9223372036854775808],["send","k","\u00e9\ud83d\ude00\n"]]}` + "\n"
	ops, err := ReadAll(strings.NewReader(in), "v")
	require.NoError(t, err)
	m := ops[0].Mops
	assert.Equal(t, Int(1), m[0].Value)
	assert.Equal(t, String("1"), m[1].Value)
	assert.NotEqual(t, m[0].Value, m[1].Value)
	assert.Equal(t, Int(-9223372036854775808), m[2].Value)
	assert.Equal(t, String("é😀\n"), m[3].Value)
	assert.Equal(t, `"1"`, m[1].Value.String())
	assert.Equal(t, -1, Int(5).Compare(String("")))
	assert.Equal(t, 1, String("b").Compare(String("a")))
	assert.Equal(t, 0, Int(3).Compare(Int(3)))
}

func TestReaderErrors(t *testing.T) {
	ok0 := `{"index":0,"time":10,"process":0,"type":"invoke","f":"send","value":[["send","k",1]]}`
	cases := []struct{ name, in, want string }{
		{"not json", `hello`, `h:1:1: expected '{'`},
		{"float value", `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":[["send","k",1.5]]}`, "h:1:81: a value must be an integer"},
		{"unknown f", `{"index":0,"time":0,"process":0,"type":"invoke","f":"produce","value":null}`, `h:1:53: unknown f "produce" (accepted: send, poll`},
		{"unknown type", `{"index":0,"time":0,"process":0,"type":"done","f":"send","value":[]}`, `unknown type "done" (accepted: invoke, ok, fail, info, event)`},
		{"missing field", `{"index":0,"time":0,"type":"invoke","f":"send","value":[]}`, `missing field "process"`},
		{"duplicate field", `{"index":0,"index":0}`, `field "index" appears twice`},
		{"index gap", ok0 + "\n" + `{"index":2,"time":10,"process":0,"type":"ok","f":"send","value":[["send","k",[0,1]]]}`, "h:2: index 2: expected index 1"},
		{"time backwards", ok0 + "\n" + `{"index":1,"time":9,"process":0,"type":"ok","f":"send","value":[["send","k",[0,1]]]}`, "h:2: time 9 goes backwards"},
		{"double invoke", ok0 + "\n" + `{"index":1,"time":10,"process":0,"type":"invoke","f":"poll","value":[["poll"]]}`, "h:2: process 0 invokes poll while its send invoked at index 0"},
		{"wrong completion", ok0 + "\n" + `{"index":1,"time":10,"process":0,"type":"ok","f":"poll","value":[["poll",{}]]}`, "outstanding operation (index 0) is send"},
		{"orphan completion", `{"index":0,"time":0,"process":3,"type":"ok","f":"poll","value":[["poll",{}]]}`, "process 3 completes poll (ok) without an outstanding invoke"},
		{"event process", `{"index":0,"time":0,"process":2,"type":"event","f":"fault","value":{"name":"x","action":"start"}}`, "an event must have process -1"},
		{"event as client", `{"index":0,"time":0,"process":2,"type":"invoke","f":"leader","value":{}}`, `its type must be "event"`},
		{"send in poll", `{"index":0,"time":0,"process":0,"type":"invoke","f":"poll","value":[["send","k",1]]}`, "a poll operation may contain only poll"},
		{"negative offset", `{"index":0,"time":0,"process":0,"type":"invoke","f":"commit","value":{"k":-1}}`, "an offset must not be negative"},
		{"blank", ok0 + "\n\n", "h:2: blank line"},
		{"trailing", ok0 + ` x`, "h:1:87: unexpected"},
		{"fault action", `{"index":0,"time":0,"process":-1,"type":"event","f":"fault","value":{"name":"x","action":"begin"}}`, `fault action "begin": accepted are "start" and "stop"`},
		{"unterminated", `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":[["send","k`, "unterminated string"},
		{"big int", `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":[["send","k",99999999999999999999]]}`, "does not fit in a 64-bit integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadAll(strings.NewReader(c.in), "h")
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			var he *Error
			require.ErrorAs(t, err, &he)
			assert.Positive(t, he.Line)
		})
	}
}

func TestWriterRejectsBadStructure(t *testing.T) {
	w := NewWriter(io.Discard)
	require.NoError(t, w.Write(&Op{Index: 0, Time: 5, Process: 0, Type: Invoke, F: FSend, Mops: []Mop{Send("k", Int(1))}}))
	err := w.Write(&Op{Index: 1, Time: 4, Process: 0, Type: OK, F: FSend})
	require.ErrorContains(t, err, "goes backwards")
}

func TestWriterAppendNumbersLines(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	ops := []Op{
		{Time: 1, Process: 3, Type: Invoke, F: FPoll, Mops: []Mop{Poll()}},
		{Time: 1, Process: NoProcess, Type: Event, F: FLogStart, Offsets: []KeyOffset{{"k", 4}}},
		{Time: 2, Process: 3, Type: OK, F: FPoll, Mops: []Mop{Poll(KeyRecords{Key: "k", Records: []Record{{4, String("v")}}})}},
	}
	for i := range ops {
		require.NoError(t, w.Append(&ops[i]))
		assert.Equal(t, int64(i), ops[i].Index)
	}
	require.NoError(t, w.Flush())
	got, err := ReadAll(&buf, "appended")
	require.NoError(t, err)
	assert.Equal(t, ops, got)
}

func TestLongLines(t *testing.T) {
	var recs []Record
	for i := 0; i < 20000; i++ {
		recs = append(recs, Record{Offset: int64(i), Value: Int(int64(i))})
	}
	ops := []Op{
		{Index: 0, Process: 0, Type: Invoke, F: FPoll, Mops: []Mop{Poll()}},
		{Index: 1, Process: 0, Type: OK, F: FPoll, Mops: []Mop{Poll(KeyRecords{Key: "k", Records: recs})}},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range ops {
		require.NoError(t, w.Write(&ops[i]))
	}
	require.NoError(t, w.Flush())
	got, err := ReadAll(&buf, "long")
	require.NoError(t, err)
	require.Len(t, got[1].Mops[0].Reads[0].Records, 20000)
	assert.Equal(t, Int(19999), got[1].Mops[0].Reads[0].Records[19999].Value)
}

func FuzzReader(f *testing.F) {
	for _, line := range strings.Split(example, "\n") {
		f.Add(line + "\n")
	}
	f.Add(example)
	f.Add(`{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":[["send","k",[1,2]]]}`)
	f.Fuzz(func(t *testing.T, in string) {
		ops, err := ReadAll(strings.NewReader(in), "fuzz")
		if err != nil {
			var he *Error
			require.ErrorAs(t, err, &he)
			require.Positive(t, he.Line, "errors name the line")
			require.True(t, strings.HasPrefix(err.Error(), "fuzz:"), "errors name the file: %v", err)
			return
		}
		// What was read writes out and reads back the same.
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for i := range ops {
			require.NoError(t, w.Write(&ops[i]))
		}
		require.NoError(t, w.Flush())
		again, err := ReadAll(bytes.NewReader(buf.Bytes()), "again")
		require.NoError(t, err, "rewritten history: %s", buf.String())
		var buf2 bytes.Buffer
		w2 := NewWriter(&buf2)
		for i := range again {
			require.NoError(t, w2.Write(&again[i]))
		}
		require.NoError(t, w2.Flush())
		require.Equal(t, buf.String(), buf2.String())
	})
}

func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := 0; i < 10000; i++ {
		op := Op{Index: int64(2 * i), Time: int64(i), Process: 0, Type: Invoke, F: FSend, Mops: []Mop{Send("orders/3", Int(int64(i)))}}
		require.NoError(b, w.Write(&op))
		op = Op{Index: int64(2*i + 1), Time: int64(i), Process: 0, Type: OK, F: FSend, Mops: []Mop{SendAt("orders/3", int64(i), Int(int64(i)))}}
		require.NoError(b, w.Write(&op))
	}
	require.NoError(b, w.Flush())
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		_, err := ReadAll(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidatorProcesses checks the pairing of invokes and completions for small
// processes (kept in an array) and large ones (in a map) alike.
func TestValidatorProcesses(t *testing.T) {
	var v Validator
	index := int64(0)
	line := func(p int64, typ Type, f string) error {
		op := Op{Index: index, Time: index, Process: p, Type: typ, F: f}
		index++
		return v.Check(&op)
	}
	procs := []int64{0, 3, 1<<16 - 1, 1 << 16, 1 << 40}
	for _, p := range procs {
		require.NoError(t, line(p, Invoke, FPoll))
	}
	for _, p := range procs {
		err := line(p, Invoke, FPoll)
		require.Error(t, err, "process %d", p)
		assert.Contains(t, err.Error(), "has not completed")
		index-- // the rejected line did not count
	}
	assert.Equal(t, []int64{0, 1, 2, 3, 4}, v.Pending())
	require.NoError(t, line(1<<16, OK, FPoll))
	require.NoError(t, line(3, OK, FPoll))
	assert.Equal(t, []int64{0, 2, 4}, v.Pending())
	err := line(3, OK, FPoll)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "without an outstanding invoke")
	index--
	err = line(1<<40, OK, FSend)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "its outstanding operation (index 4) is poll")
}

// TestReadShared checks that ReadShared reads what ReadInto reads, line by line, and
// that operations read with ReadInto keep their contents through later ReadShared
// calls.
func TestReadShared(t *testing.T) {
	want, err := ReadAll(strings.NewReader(example), "ex.jsonl")
	require.NoError(t, err)
	rd := NewReader(strings.NewReader(example), "ex.jsonl")
	var kept Op
	require.NoError(t, rd.ReadInto(&kept)) // line 0, kept by the caller
	var op Op
	for i := 1; ; i++ {
		err := rd.ReadShared(&op)
		if err == io.EOF {
			require.Equal(t, len(want), i)
			break
		}
		require.NoError(t, err)
		assert.Equal(t, want[i].String(), op.String(), "line %d", i)
	}
	assert.Equal(t, want[0].String(), kept.String())
}

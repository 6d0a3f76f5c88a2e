package edn

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// A Maelstrom kafka history: integer-like string keys, integer values, crash, a
// nemesis, and a vector of operations instead of one per line.
const maelstrom = `[{:type :invoke, :f :assign, :value ["7" "8"], :seek-to-beginning? true, :time 10, :process 0, :index 0}
 {:type :ok, :f :assign, :value ["7" "8"], :time 20, :process 0, :index 1}
 {:type :invoke, :f :send, :value [[:send "7" 1]], :time 30, :process 1, :index 2}
 {:type :info, :f :start-partition, :value {"n1" ["n2"]}, :time 35, :process :nemesis, :index 3}
 {:type :ok, :f :send, :value [[:send "7" [0 1]]], :time 40, :process 1, :index 4}
 {:type :invoke, :f :poll, :value [[:poll]], :time 50, :process 0, :index 5}
 {:type :ok, :f :poll, :value [[:poll {"7" [[0 1]], "8" []}]], :time 60, :process 0, :index 6, :rebalance-log [{:keys ["8"]}]}
 {:type :invoke, :f :crash, :value nil, :time 70, :process 1, :index 7}
 {:type :info, :f :crash, :value nil, :time 80, :process 1, :index 8, :error :crashed}
 {:type :info, :f :stop-partition, :value nil, :time 90, :process :nemesis, :index 9}
 {:type :invoke, :f :send, :value [[:send 9 :x]], :time 95, :process 2, :index 10}
 {:type :fail, :f :send, :value nil, :time 99, :process 2, :index 11, :error [:not-leader 3]}]`

func TestReadMaelstrom(t *testing.T) {
	ops, err := Read(strings.NewReader(maelstrom), "h.edn")
	require.NoError(t, err)
	var fs []string
	for i, op := range ops {
		assert.Equal(t, int64(i), op.Index, "indices are renumbered")
		fs = append(fs, op.Type.String()+" "+op.F)
	}
	assert.Equal(t, []string{"invoke assign", "ok assign", "invoke send", "event fault", "ok send", "invoke poll",
		"event rebalance", "ok poll", "invoke crash", "info crash", "event fault", "invoke send", "fail send"}, fs)
	assert.True(t, ops[0].SeekToBeginning)
	assert.Equal(t, []string{"7", "8"}, ops[0].Keys)
	assert.Equal(t, &history.Fault{Name: "start-partition", Action: "start", Detail: `{"n1" ["n2"]}`}, ops[3].Fault)
	assert.Equal(t, "stop", ops[10].Fault.Action)
	assert.Equal(t, history.SendAt("7", 0, history.Int(1)), ops[4].Mops[0])
	assert.Equal(t, []history.KeyRecords{{Key: "7", Records: []history.Record{{Offset: 0, Value: history.Int(1)}}}, {Key: "8"}}, ops[7].Mops[0].Reads)
	assert.Equal(t, &history.Rebalance{Process: 0, Assigned: []string{"8"}}, ops[6].Rebalance)
	assert.Equal(t, "crashed", ops[9].Error)
	assert.Equal(t, history.Send("9", history.String("x")), ops[12].Mops[0], "a nil completion value repeats the invoke")
	assert.Equal(t, "[:not-leader 3]", ops[12].Error)
}

func TestReadErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{:type :invoke :f :send :process 0 :time 1 :value [[:send :x 1]]`, `e.edn:1:1: unclosed collection: expected '}'`},
		{"{:type :invoke, :f :send, :process 0, :time 1, :value [[:send :x 1]]}\n{:type :ok, :f :poll, :process 0, :time 0, :value [[:poll]]}", "e.edn:2:1: process 0 completes poll, but its outstanding operation (index 0) is send"},
		{`{:type :invoke, :f :send, :process 0, :time 1, :value [[:send :x 1.5]]}`, "e.edn:1:66: expected a value (an integer, keyword or string), found a floating-point number"},
		{`{:type :invoke, :f :send, :process 0, :time 1, :value [[:write :x 1]]}`, "e.edn:1:57: unknown micro-operation :write"},
		{`{:type :ok, :f :send, :process 0, :time 1, :value [[:send :x [0 1]]]}`, "process 0 completes send (ok) without an outstanding invoke"},
		{`{:type :invoke, :f :send, :time 1}`, "operation has no :process"},
		{`{:type :begin, :f :send, :process 0, :time 1, :value []}`, "unknown :type :begin"},
		{`{:a 1 :b}`, "a map needs an even number of forms"},
		{`"abc`, "unterminated string"},
		{`)`, `unexpected ')'`},
		{`[1 2]`, "expected an operation map"},
		{`{:type :invoke, :f :poll, :process 0, :time 1, :value [[:send :x 1]]}`, "a poll operation contains a send micro-operation"},
	}
	for _, c := range cases {
		_, err := Read(strings.NewReader(c.in), "e.edn")
		require.Error(t, err, c.in)
		assert.Contains(t, err.Error(), c.want)
		var e *Error
		require.True(t, errors.As(err, &e), "errors name file, line and column: %v", err)
		assert.Positive(t, e.Line)
		assert.Positive(t, e.Column)
	}
}

func TestTimeNeverDecreases(t *testing.T) {
	in := "{:type :invoke, :f :send, :process 0, :time 5, :value [[:send :x 1]]}\n{:type :ok, :f :send, :process 0, :time 3, :value [[:send :x [0 1]]]}"
	ops, err := Read(strings.NewReader(in), "t.edn")
	require.NoError(t, err)
	assert.Equal(t, int64(5), ops[1].Time, "clamped to the previous time")
}

func TestDiscardAndComments(t *testing.T) {
	in := "; a comment\n#_{:ignored true}\n{:type :invoke, :f :poll, :process 0, :time 1, :value [[:poll]]} ; trailing\n"
	ops, err := Read(strings.NewReader(in), "c.edn")
	require.NoError(t, err)
	require.Len(t, ops, 1)
	assert.Equal(t, history.FPoll, ops[0].F)
}

func FuzzRead(f *testing.F) {
	f.Add(maelstrom)
	for _, line := range strings.Split(maelstrom, "\n") {
		f.Add(strings.Trim(line, "[] "))
	}
	f.Add(`#jepsen.history.Op{:index 0 :time 1 :type :invoke :process 0 :f :txn :value [[:send :x 1] [:poll]]}`)
	f.Fuzz(func(t *testing.T, in string) {
		ops, err := Read(strings.NewReader(in), "fuzz.edn")
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "errors name the line: %v", err)
			require.Positive(t, e.Line)
			require.True(t, strings.HasPrefix(err.Error(), "fuzz.edn:"))
			return
		}
		// Whatever was accepted is a structurally valid logsim history.
		var v history.Validator
		for i := range ops {
			require.NoError(t, v.Check(&ops[i]))
		}
	})
}

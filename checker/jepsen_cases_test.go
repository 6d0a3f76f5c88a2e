package checker

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// completions builds a history from completion lines (process, type, f, value only):
// each gets an invoke just before it, with the same process and f and the value an
// invoke carries (sends without offsets, polls without results), and index and time.
func completions(t *testing.T, lines ...string) []history.Op {
	t.Helper()
	var out []string
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		inv := map[string]any{"process": m["process"], "type": "invoke", "f": m["f"]}
		switch m["f"] {
		case "send", "poll", "txn":
			var mops []any
			for _, x := range m["value"].([]any) {
				mop := x.([]any)
				if mop[0] == "poll" {
					mops = append(mops, []any{"poll"})
					continue
				}
				v := mop[2]
				if pair, ok := v.([]any); ok {
					v = pair[1]
				}
				mops = append(mops, []any{"send", mop[1], v})
			}
			inv["value"] = mops
		default:
			inv["value"] = m["value"]
		}
		for _, op := range []map[string]any{inv, m} {
			op["index"] = len(out)
			op["time"] = 1000 * (len(out) + 1)
			b, err := json.Marshal(op)
			require.NoError(t, err)
			out = append(out, string(b))
		}
	}
	ops, err := history.ReadAll(strings.NewReader(strings.Join(out, "\n")+"\n"), t.Name())
	require.NoError(t, err)
	return ops
}

// instances returns the instances of one anomaly type as JSON-like maps, without
// explanations.
func instances(t *testing.T, res *Result, typ string) []map[string]any {
	t.Helper()
	b, err := json.Marshal(res.Anomalies[typ])
	require.NoError(t, err)
	var out []map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	for _, m := range out {
		delete(m, "explanation")
	}
	return out
}

func jsonMaps(t *testing.T, s string) []map[string]any {
	var out []map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &out), s)
	return out
}

// TestJepsenSuiteCases are the scenarios of Jepsen's own Kafka checker tests (the
// queue workload of jepsen-io/redpanda, which jepsen.tests.kafka grew from), with
// the results Jepsen expects, in this format. Operations are named by the history
// index of their completion: completion k is at index 2k+1.
func TestJepsenSuiteCases(t *testing.T) {
	check := func(t *testing.T, ops []history.Op) *Result {
		res, err := Check(ops, Options{})
		require.NoError(t, err)
		return res
	}
	t.Run("lost-write with inconsistent offsets", func(t *testing.T) {
		// a is acknowledged at 0 but b overwrites it; c is at 2. Reading b and c means
		// a should have been read too.
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"send","value":[["send","x",[0,"a"]]]}`,
			`{"process":1,"type":"ok","f":"send","value":[["send","x",[0,"b"]],["send","x",[2,"c"]]]}`,
			`{"process":2,"type":"ok","f":"poll","value":[["poll",{"x":[[0,"b"],[2,"c"]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","value":"a","index":0,"max-read-index":1,"writer":1,"max-read":5}]`), instances(t, res, TypeLostWrite))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","offset":0,"index":0,"values":["a","b"]}]`), instances(t, res, TypeInconsistentOffsets))
	})
	t.Run("inconsistent offsets, a real-world example", func(t *testing.T) {
		res := check(t, completions(t,
			`{"process":379,"type":"ok","f":"send","value":[["send","11",[537,641]]]}`,
			`{"process":363,"type":"ok","f":"send","value":[["send","11",[537,645]]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"11","offset":537,"index":0,"values":[641,645]}]`), instances(t, res, TypeInconsistentOffsets))
	})
	// pollSkip: process 0 reads offsets 1, 2, then 4, then 7; 3 and 6 are known to
	// exist, 5 may be a gap. mid1 and mid2 go before the second and third reads.
	pollSkip := func(mid1, mid2 string) []string {
		lines := []string{
			`{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[1,"a"],[2,"b"]]}]]}`,
			`{"process":1,"type":"ok","f":"poll","value":[["poll",{"x":[[3,"c"]]}]]}`,
		}
		if mid1 != "" {
			lines = append(lines, mid1)
		}
		lines = append(lines, `{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[4,"d"]]}]]}`)
		if mid2 != "" {
			lines = append(lines, mid2)
		}
		return append(lines,
			`{"process":2,"type":"ok","f":"send","value":[["send","x",[6,"f"]]]}`,
			`{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[7,"g"]]}]]}`)
	}
	t.Run("poll-skip", func(t *testing.T) {
		res := check(t, completions(t, pollSkip("", "")...))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","delta":2,"skipped":["c"],"ops":[1,5]},{"key":"x","delta":2,"skipped":["f"],"ops":[5,9]}]`), instances(t, res, TypePollSkip))
		// Subscribing or assigning to keys without x forgets x's position.
		res = check(t, completions(t, pollSkip(`{"process":0,"type":"ok","f":"subscribe","value":["y"]}`, `{"process":0,"type":"info","f":"assign","value":["y"]}`)...))
		assert.Empty(t, res.Anomalies[TypePollSkip])
		// Keeping x keeps it.
		res = check(t, completions(t, pollSkip(`{"process":0,"type":"ok","f":"assign","value":["x","y"]}`, "")...))
		assert.Len(t, res.Anomalies[TypePollSkip], 2)
		assert.Contains(t, res.Errors, TypePollSkip)
		// After a subscribe that keeps x, the skips are found but allowed.
		res = check(t, completions(t, pollSkip(`{"process":0,"type":"ok","f":"subscribe","value":["x","y"]}`, "")...))
		assert.Len(t, res.Anomalies[TypePollSkip], 2)
		assert.NotContains(t, res.Errors, TypePollSkip)
	})
	t.Run("nonmonotonic-poll", func(t *testing.T) {
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[1,"a"],[2,"b"],[3,"c"]]}]]}`,
			`{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[2,"b"],[3,"c"],[4,"d"]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","values":["c","b"],"delta":-1,"ops":[1,3]}]`), instances(t, res, TypeNonmonotonicPoll))
	})
	t.Run("nonmonotonic-send", func(t *testing.T) {
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"send","value":[["send","x",[3,"c"]],["send","x",[4,"d"]]]}`,
			`{"process":0,"type":"ok","f":"send","value":[["send","x",[1,"a"]],["send","x",[2,"b"]]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","values":["d","a"],"delta":-3,"ops":[1,3]}]`), instances(t, res, TypeNonmonotonicSend))
	})
	t.Run("int-poll-skip", func(t *testing.T) {
		// Within one poll, and across two polls of one operation.
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[1,"a"],[4,"d"]]}]]}`,
			`{"process":1,"type":"ok","f":"poll","value":[["poll",{"x":[[1,"a"]]}],["poll",{"x":[[4,"d"]]}]]}`,
			`{"process":2,"type":"ok","f":"poll","value":[["poll",{"x":[[2,"b"]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","values":["a","d"],"skipped":["b"],"delta":2,"op":1},{"key":"x","values":["a","d"],"skipped":["b"],"delta":2,"op":3}]`), instances(t, res, TypeIntPollSkip))
	})
	t.Run("int-send-skip", func(t *testing.T) {
		// c's offset is unknown to the send, but a poll places it after b.
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"send","value":[["send","x",[1,"a"]],["send","x","c"]]}`,
			`{"process":1,"type":"ok","f":"poll","value":[["poll",{"x":[[2,"b"],[3,"c"]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","values":["a","c"],"skipped":["b"],"delta":2,"op":1}]`), instances(t, res, TypeIntSendSkip))
		assert.NotContains(t, res.Errors, TypeIntSendSkip, "int-send-skip is allowed")
	})
	t.Run("int-nonmonotonic-poll", func(t *testing.T) {
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[3,"c"],[1,"a"]]}]]}`,
			`{"process":1,"type":"ok","f":"poll","value":[["poll",{"x":[[2,"b"],[3,"c"]]}],["poll",{"x":[[3,"c"]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","values":["c","a"],"delta":-2,"op":1},{"key":"x","values":["c","c"],"delta":0,"op":3}]`), instances(t, res, TypeIntNonmonotonicPoll))
	})
	t.Run("int-nonmonotonic-send", func(t *testing.T) {
		// Directly out of order, and out of order by what an (info) poll saw.
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"send","value":[["send","x",[3,"c"]],["send","x",[1,"a"]]]}`,
			`{"process":1,"type":"info","f":"send","value":[["send","y","d"],["send","y","b"]]}`,
			`{"process":2,"type":"info","f":"poll","value":[["poll",{"y":[[2,"b"],[3,"c"],[4,"d"]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","values":["c","a"],"delta":-1,"op":1},{"key":"y","values":["d","b"],"delta":-2,"op":3}]`), instances(t, res, TypeIntNonmonotonicSend))
	})
	t.Run("duplicate", func(t *testing.T) {
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"send","value":[["send","x",[1,"a"]]]}`,
			`{"process":1,"type":"ok","f":"poll","value":[["poll",{"x":[[2,"b"],[3,"a"]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","value":"a","count":2,"offsets":[1,3]}]`), instances(t, res, TypeDuplicate))
	})
	t.Run("G1a", func(t *testing.T) {
		// The failed send wrote 2 to x and 3 to y; the poll read both on x. Jepsen
		// reports x/2; that 3 was read from x, where nobody sent it, is unexpected.
		res := check(t, completions(t,
			`{"process":0,"type":"fail","f":"send","value":[["send","x",2],["send","y",3]]}`,
			`{"process":1,"type":"ok","f":"poll","value":[["poll",{"x":[[0,2],[1,3]]}]]}`))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","value":2,"writer":1,"reader":3}]`), instances(t, res, TypeG1a))
		assert.Equal(t, jsonMaps(t, `[{"key":"x","value":3,"offset":1,"reader":3}]`), instances(t, res, TypeUnexpectedValue))
	})
	t.Run("unseen", func(t *testing.T) {
		res := check(t, completions(t,
			`{"process":0,"type":"ok","f":"send","value":[["send","x",[0,"a"]],["send","y",[0,"b"]]]}`,
			`{"process":1,"type":"ok","f":"poll","value":[["poll",{"y":[[0,"b"]]}]]}`))
		assert.Equal(t, jsonMaps(t, fmt.Sprintf(`[{"key":"x","count":1,"values":["a"],"time":%d}]`, 2000)), instances(t, res, TypeUnseen))
	})
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCheckArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runCheck(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckCommandExitStatus(t *testing.T) {
	corpus := filepath.Join("..", "..", "checker", "testdata", "corpus")
	code, out, _ := runCheckArgs(filepath.Join(corpus, "lost-write-near-miss.jsonl"))
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "VALID")

	code, out, _ = runCheckArgs(filepath.Join(corpus, "lost-write.jsonl"))
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "INVALID: lost-write (2), nonlinearizable (1), unseen (1).")
	assert.Contains(t, out, "Value 1 was acknowledged at offset 0 of x")

	code, out, _ = runCheckArgs("--json", "--no-linearizability", filepath.Join(corpus, "lost-write.jsonl"))
	assert.Equal(t, exitFailed, code)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, false, res["valid"])
	assert.Equal(t, "skipped", res["linearizable"])
	assert.Equal(t, []any{"lost-write", "unseen"}, res["errors"])

	code, _, _ = runCheckArgs("--allow", "lost-write", "--allow", "unseen", "--allow", "nonlinearizable", filepath.Join(corpus, "lost-write.jsonl"))
	assert.Equal(t, exitOK, code, "allowed anomalies do not fail the check")

	code, out, _ = runCheckArgs(filepath.Join(corpus, "jepsen-lost-write.edn"))
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, `Value "a" was acknowledged`)
}

func TestCheckCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"index":0,"time":1,"process":0,"type":"invoke","f":"send","value":[["send","x",1]]}`+"\n"+`{"index":1,"time":2,"process":0,"type":"ok","f":"send","value":[["send","x",[0,1.5]]]}`+"\n"), 0o644))
	code, _, errOut := runCheckArgs(bad)
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, bad+":2:80: a value must be an integer")

	code, _, errOut = runCheckArgs("--allow", "lost-writes", bad)
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, `--allow "lost-writes": unknown anomaly type`)

	code, _, _ = runCheckArgs()
	assert.Equal(t, exitBadUser, code)
	code, _, errOut = runCheckArgs(filepath.Join(dir, "missing.jsonl"))
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "missing.jsonl")
}

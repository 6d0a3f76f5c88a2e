package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validateArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runValidate(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(good, []byte("topics: [{name: t}]\nproducers: [{name: p, topic: t}]\n"), 0o644))
	require.NoError(t, os.WriteFile(bad, []byte("topics: [{name: t}]\nproducers: [{name: p, topic: u, config: {lingr.ms: 1}}]\n"), 0o644))

	code, out, _ := validateArgs(good, "quickstart")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "good.yaml: ok (good)")
	assert.Contains(t, out, "quickstart: ok (quickstart)")

	code, out, errOut := validateArgs(good, bad)
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, out, "good.yaml: ok")
	assert.Contains(t, out, "bad.yaml: 2 error(s)")
	assert.Contains(t, errOut, "bad.yaml:2:42: producers[0].config: unknown key lingr.ms; did you mean linger.ms?")
	assert.Contains(t, errOut, `bad.yaml:2:30: producers[0].topic: no topic "u"`)

	code, _, errOut = validateArgs("--set", "cluster.brokers=0", good)
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "--set cluster.brokers=0: cluster.brokers: 0 is out of range")

	code, out, _ = validateArgs("--print", "--set", "seed=7", good)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "seed: 7\n")
	assert.Contains(t, out, "linger.ms: 5\n")

	code, _, errOut = validateArgs(filepath.Join(dir, "missing.yaml"))
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "cannot read the scenario")

	code, _, _ = validateArgs()
	assert.Equal(t, exitBadUser, code)
}

func TestListCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, exitOK, runList(nil, &out, &errOut))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Contains(t, out.String(), "quickstart")
	assert.Contains(t, out.String(), "acks1-leader-isolation")
	for _, l := range lines {
		assert.Len(t, strings.Fields(l)[0:1], 1)
		assert.Greater(t, len(strings.Fields(l)), 2, "name and description: %q", l)
	}
	out.Reset()
	require.Equal(t, exitOK, runList([]string{"--hardware"}, &out, &errOut))
	assert.Contains(t, out.String(), "commodity-2014")
	assert.Contains(t, out.String(), "cloud-nvme")
	assert.Equal(t, exitBadUser, runList([]string{"extra"}, &out, &errOut))
}

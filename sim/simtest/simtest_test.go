package simtest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/sim/simtest"
)

// TestScripts runs every interaction script in testdata against its golden output
// (go test -run TestScripts -rewrite to update after reading the diff).
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			require.NoError(t, err)
			out := simtest.RunHarnessScript(t, f, string(text))
			if simtest.Rewrite() {
				require.NoError(t, os.WriteFile(f, []byte(out), 0o644))
			}
		})
	}
}

// TestUnknownCommandListsTheLanguage: a typo names every command the harness accepts.
func TestUnknownCommandListsTheLanguage(t *testing.T) {
	h, err := simtest.NewHarness(simtest.Command{Name: "cluster"})
	require.NoError(t, err)
	_, err = h.Run(simtest.Command{Name: "crahs"})
	require.Error(t, err)
	for _, name := range []string{"create-topic", "crash", "disk-full", "heal", "unconsumed"} {
		assert.Contains(t, err.Error(), name)
	}
}

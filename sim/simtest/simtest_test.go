package simtest_test

import (
	"os"
	"path/filepath"
	"testing"

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

package checker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/checker/edn"
	"logsim/checker/history"
)

// FuzzCheck: whatever the readers accept, the checker judges without panicking, and
// its verdict agrees with its own lists.
func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*")
	for _, file := range files {
		if strings.HasSuffix(file, ".jsonl") || strings.HasSuffix(file, ".edn") {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(string(data), strings.HasSuffix(file, ".edn"))
		}
	}
	f.Fuzz(func(t *testing.T, in string, isEDN bool) {
		var ops []history.Op
		var err error
		if isEDN {
			ops, err = edn.Read(strings.NewReader(in), "fuzz.edn")
		} else {
			ops, err = history.ReadAll(strings.NewReader(in), "fuzz.jsonl")
		}
		if err != nil {
			return
		}
		for _, ww := range []bool{false, true} {
			res, err := Check(ops, Options{Linearizability: true, Timeout: time.Second, WWDeps: ww, crossCheck: true})
			require.NoError(t, err)
			require.Equal(t, len(res.Errors) == 0, res.Valid)
			for _, e := range res.Errors {
				require.Contains(t, res.AnomalyTypes, e)
			}
			for typ, list := range res.Anomalies {
				for _, an := range list {
					require.NotEmpty(t, an.Explanation, typ)
				}
			}
		}
	})
}

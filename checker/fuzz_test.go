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
// its verdict agrees with its own lists; streaming a JSON Lines history through
// CheckReader (one reused Op) gives the same result as Check, and rejects what the
// reader rejects.
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
		if !isEDN {
			streamed, serr := CheckReader(strings.NewReader(in), "fuzz.jsonl", Options{})
			if err != nil {
				require.Error(t, serr)
				require.Equal(t, err.Error(), serr.Error())
			} else {
				require.NoError(t, serr)
				want, err := Check(ops, Options{})
				require.NoError(t, err)
				require.Equal(t, resultJSON(t, want), resultJSON(t, streamed))
			}
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

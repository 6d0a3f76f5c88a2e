package checker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expectation is a corpus history's hand-written expected result.
type expectation struct {
	Valid        bool                                `json:"valid"`
	Errors       []string                            `json:"errors"`
	AnomalyTypes []string                            `json:"anomaly_types"`
	Linearizable string                              `json:"linearizable"`
	Instances    map[string][]map[string]interface{} `json:"instances"`
	Options      struct {
		WWDeps bool     `json:"ww_deps"`
		Allow  []string `json:"allow"`
	} `json:"options"`
}

// TestCorpus checks every hand-written history of testdata/corpus against its
// expectation: verdict, anomaly types, errors, porcupine verdict, and for each type
// listed, exactly the expected instances (all fields but the explanation).
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.jsonl")
	require.NoError(t, err)
	edns, err := filepath.Glob("testdata/corpus/*.edn")
	require.NoError(t, err)
	require.NotEmpty(t, edns, "the corpus includes Jepsen EDN histories")
	files = append(files, edns...)
	require.NotEmpty(t, files)
	covered := map[string]bool{}
	nearMiss := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(strings.TrimSuffix(file, filepath.Ext(file)) + ".expect.json")
			require.NoError(t, err, "every corpus history has an expectation")
			var want expectation
			require.NoError(t, json.Unmarshal(raw, &want))
			ops, err := ReadFile(file)
			require.NoError(t, err)
			res, err := Check(ops, Options{WWDeps: want.Options.WWDeps, Allow: want.Options.Allow, Linearizability: true, Timeout: 20 * time.Second, crossCheck: true})
			require.NoError(t, err)
			// The direct algorithm (for partitions too large for porcupine) agrees.
			direct, err := Check(ops, Options{WWDeps: want.Options.WWDeps, Allow: want.Options.Allow, Linearizability: true, PorcupineMaxOps: 1})
			require.NoError(t, err)
			assert.Equal(t, want.Linearizable, direct.Linearizable, "linearizable, decided directly")
			assert.Equal(t, want.Errors, direct.Errors, "errors, linearizability decided directly")

			assert.Equal(t, want.AnomalyTypes, res.AnomalyTypes, "anomaly_types")
			assert.Equal(t, want.Errors, res.Errors, "errors")
			assert.Equal(t, want.Valid, res.Valid, "valid")
			assert.Equal(t, want.Linearizable, res.Linearizable, "linearizable")

			got := map[string][]map[string]interface{}{}
			data, err := json.Marshal(res)
			require.NoError(t, err)
			var generic map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(data, &generic))
			keys := make([]string, 0, len(generic))
			for k := range generic {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			assert.Equal(t, []string{"anomalies", "anomaly_types", "errors", "linearizable", "stats", "valid"}, keys, "the result object of the spec")
			require.NoError(t, json.Unmarshal(generic["anomalies"], &got))
			for typ, list := range got {
				for _, inst := range list {
					assert.NotEmpty(t, inst["explanation"], "%s instances explain themselves", typ)
					delete(inst, "explanation")
					if typ == TypeNonlinearizable {
						delete(inst, "file")
					}
				}
			}
			for typ, wantList := range want.Instances {
				assert.ElementsMatch(t, wantList, got[typ], "instances of %s", typ)
			}
			for _, typ := range res.AnomalyTypes {
				if strings.HasSuffix(name, "-near-miss") {
					continue
				}
				covered[typ] = true
			}
			if base, ok := strings.CutSuffix(name, "-near-miss"); ok {
				nearMiss[base] = true
				assert.NotContains(t, res.AnomalyTypes, base, "a near miss must not be flagged")
			}
		})
	}
	// Every anomaly type the checker reports has a history that shows it.
	for _, typ := range AllTypes() {
		assert.True(t, covered[typ], "no corpus history shows %s", typ)
		assert.True(t, nearMiss[typ], "no corpus near miss for %s", typ)
	}
}

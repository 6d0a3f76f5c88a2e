package faults

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseSelector: no panics; what parses prints back to the same selector.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"broker-2", "leader(orders/0)", "followers(a.b/12)", "random(2)", "p-1", "clients", "controller"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		back, err := ParseSelector(sel.String())
		require.NoError(t, err, sel.String())
		require.Equal(t, sel, back)
	})
}

package main

import (
	"bytes"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEveryCommandReportsBadFlags: a mistyped flag is an error that names it and shows
// the accepted flags, with exit status 2; --help is not an error.
func TestEveryCommandReportsBadFlags(t *testing.T) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var out, errOut bytes.Buffer
		code := dispatch([]string{name, "--no-such-flag"}, &out, &errOut)
		assert.Equal(t, exitBadUser, code, name)
		assert.Contains(t, errOut.String(), "logsim "+name+": unknown flag: --no-such-flag", name)
		assert.Contains(t, errOut.String(), "Usage: logsim "+name, name)

		errOut.Reset()
		assert.Equal(t, exitOK, dispatch([]string{name, "--help"}, &out, &errOut), name)
		assert.Contains(t, errOut.String(), "Usage: logsim "+name, name)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, exitBadUser, dispatch([]string{"rnu"}, &out, &errOut))
	assert.Contains(t, errOut.String(), `unknown command "rnu"`)
	assert.Contains(t, errOut.String(), "run ")
}

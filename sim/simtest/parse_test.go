package simtest_test

import (
	"strings"

	"logsim/sim/simtest"
)

func parse(s string) simtest.Command {
	f := strings.Fields(s)
	c := simtest.Command{Name: f[0]}
	for _, a := range f[1:] {
		k, v, _ := strings.Cut(a, "=")
		c.Args = append(c.Args, simtest.Arg{Key: k, Value: v})
	}
	return c
}

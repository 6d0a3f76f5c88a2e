package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"logsim/scenarios"
)

func init() {
	commands["validate"] = command{
		summary: "check scenario files: every error with its file, line and column",
		run:     runValidate,
	}
}

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", stderr,
		"Usage: logsim validate [--set PATH=VALUE]... [--print] FILE...",
		"\nLoads each scenario FILE (or the name of a shipped scenario, see logsim list) strictly,",
		"fills Kafka's defaults and checks it. Every error is printed with its file, line and",
		"column. Exit status: 0 when every file is valid, 2 otherwise.",
	)
	sets := fs.StringArray("set", nil, "override a value before validation, PATH=VALUE (repeatable), such as producers.p.config.linger.ms=50")
	printResolved := fs.Bool("print", false, "print each valid scenario fully resolved (every default and the seed) as YAML")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "logsim validate: expected one or more scenario files")
		fs.Usage()
		return exitBadUser
	}
	status := exitOK
	for _, file := range fs.Args() {
		s, err := loadScenario(file, *sets)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n\n", err)
			var list scenarios.ErrorList
			n := 1
			if errors.As(err, &list) {
				n = len(list)
			}
			fmt.Fprintf(stdout, "%s: %d error(s)\n", file, n)
			status = exitBadUser
			continue
		}
		if *printResolved {
			out, err := s.Marshal()
			if err != nil {
				fmt.Fprintf(stderr, "logsim validate: %s: %v\n", file, err)
				status = exitBadUser
				continue
			}
			fmt.Fprintf(stdout, "# %s, resolved\n%s", file, out)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s)\n", file, s.Name)
	}
	return status
}

// loadScenario loads a scenario file, or a shipped scenario by name when no such file
// exists.
func loadScenario(file string, sets []string) (*scenarios.Scenario, error) {
	if _, err := os.Stat(file); err != nil && isShipped(file) {
		return scenarios.LoadShipped(file, sets...)
	}
	return scenarios.Load(file, sets...)
}

// isShipped reports whether name names a shipped scenario (quickstart or quickstart.yaml).
func isShipped(name string) bool {
	list, err := scenarios.List()
	if err != nil {
		return false
	}
	for _, s := range list {
		if s.File == name || s.File == name+".yaml" {
			return true
		}
	}
	return false
}

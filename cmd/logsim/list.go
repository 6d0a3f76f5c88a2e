package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"logsim/scenarios"
)

func init() {
	commands["list"] = command{
		summary: "list the shipped scenarios (or, with --hardware, the hardware profiles)",
		run:     runList,
	}
}

func runList(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", stderr,
		"Usage: logsim list [--hardware]",
		"\nLists the scenarios shipped with logsim, one per line: name and description.",
		"Run one with logsim run NAME; copy it with logsim validate --print NAME.",
	)
	hardware := fs.Bool("hardware", false, "list the shipped hardware profiles instead")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "logsim list: unexpected argument %q\n", fs.Arg(0))
		return exitBadUser
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	if *hardware {
		for _, name := range scenarios.Profiles() {
			h, err := scenarios.LoadHardware(name)
			if err != nil {
				// A shipped profile that does not load is a broken build, not bad input.
				panic(fmt.Sprintf("logsim list: shipped hardware profile %s: %v", name, err))
			}
			fmt.Fprintf(w, "%s\t%s\n", name, h.Description)
		}
		return flush(w, stderr)
	}
	list, err := scenarios.List()
	if err != nil {
		panic(fmt.Sprintf("logsim list: shipped scenarios: %v", err))
	}
	for _, s := range list {
		fmt.Fprintf(w, "%s\t%s\n", s.Name, s.Description)
	}
	return flush(w, stderr)
}

func flush(w *tabwriter.Writer, stderr io.Writer) int {
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "logsim list: %v\n", err)
		return exitFailed
	}
	return exitOK
}

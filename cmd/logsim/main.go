// Command logsim runs deterministic simulations of a Kafka-model cluster, checks the
// histories they produce, and reports on them.
//
// Usage:
//
//	logsim <command> [flags] [args]
//
// Run `logsim help` for the list of commands. Exit status: 0 success, 1 when a check or
// an expectation fails, 2 on bad input (flags, scenario files, histories).
package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spf13/pflag"

	"logsim/scenarios"
)

// Exit statuses shared by every command.
const (
	exitOK      = 0 // success; a history is valid; expectations hold
	exitFailed  = 1 // a history is invalid, or a run did not meet its expectations
	exitBadUser = 2 // bad flags, files or histories
)

// command is one logsim subcommand. run gets the arguments after the command's name and
// returns the exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists every subcommand by name.
var commands = map[string]command{}

func main() {
	scenarios.TuneGC()
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the command named by args[0].
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitBadUser
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "logsim: unknown command %q\n", args[0])
		usage(stderr)
		return exitBadUser
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "logsim: deterministic simulation and benchmarking of Kafka-model clusters")
	fmt.Fprintln(w, "\nUsage: logsim <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun `logsim <command> --help` for a command's flags.")
}

// newFlags makes a command's flag set. usage is the help text: a synopsis line and a
// description, printed with the flags' defaults on --help or a flag mistake.
func newFlags(name string, stderr io.Writer, usage ...string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		for _, line := range usage {
			fmt.Fprintln(stderr, line)
		}
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a command's arguments. When ok is false the command is over and
// returns code: 0 after --help, 2 after a flag mistake, which it reports (pflag stays
// silent in ContinueOnError mode) with the accepted flags.
func parseFlags(fs *pflag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK, false
		}
		fmt.Fprintf(fs.Output(), "logsim %s: %v\n\n", fs.Name(), err)
		fs.Usage()
		return exitBadUser, false
	}
	return 0, true
}

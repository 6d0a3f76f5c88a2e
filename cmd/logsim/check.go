package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"logsim/checker"
)

func init() {
	commands["check"] = command{
		summary: "judge a history (JSON Lines, or Jepsen EDN) for Kafka anomalies and linearizability",
		run:     runCheck,
	}
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", stderr,
		"Usage: logsim check [--json] [--allow TYPE]... [--timeout D] [--ww-deps] [--out DIR] HISTORY",
		"\nJudges HISTORY (JSON Lines, see the history specification; a .edn file is read as a",
		"Jepsen Kafka history). Exit status: 0 valid, 1 invalid, 2 unreadable.",
	)
	asJSON := fs.Bool("json", false, "print the result object of the history specification as JSON")
	allow := fs.StringArray("allow", nil, "anomaly type that does not make the history invalid (repeatable); types: "+strings.Join(checker.AllTypes(), ", "))
	timeout := fs.Duration("timeout", checker.DefaultOptions().Timeout, "time limit of the porcupine linearizability check; on expiry the verdict is \"unknown\" (0: no limit)")
	wwDeps := fs.Bool("ww-deps", false, "infer write-write dependencies from each key's version order (Jepsen's :ww-deps), to find G0")
	out := fs.String("out", "", "directory for porcupine's HTML visualization of partitions that are not linearizable")
	noLin := fs.Bool("no-linearizability", false, "skip the porcupine check (verdict \"skipped\")")
	perType := fs.Int("limit", 10, "instances shown per anomaly type in the text output (0: all)")
	maxInstances := fs.Int("max-instances", checker.DefaultMaxInstances, "instances kept per anomaly type (all are counted in stats.anomaly_counts; negative: no bound)")
	porcupineMax := fs.Int("porcupine-max-ops", checker.DefaultPorcupineMaxOps, "largest partition history given to porcupine; larger partitions are decided by an equivalent direct algorithm (negative: no bound)")
	timings := fs.Bool("timings", false, "record each analysis's duration in stats.analysis_ms (the result is then no longer the same on every run)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "logsim check: expected exactly one HISTORY file")
		fs.Usage()
		return exitBadUser
	}
	known := map[string]bool{}
	for _, t := range checker.AllTypes() {
		known[t] = true
	}
	for _, t := range *allow {
		if !known[t] {
			fmt.Fprintf(stderr, "logsim check: --allow %q: unknown anomaly type (accepted: %s)\n", t, strings.Join(checker.AllTypes(), ", "))
			return exitBadUser
		}
	}
	if *timeout < 0 {
		fmt.Fprintln(stderr, "logsim check: --timeout must not be negative")
		return exitBadUser
	}
	// The history streams through the checker line by line: a run of millions of
	// records is judged without holding its lines in memory.
	path := fs.Arg(0)
	res, err := checker.CheckFile(path, checker.Options{
		Allow:           *allow,
		WWDeps:          *wwDeps,
		Linearizability: !*noLin,
		Timeout:         *timeout,
		OutDir:          *out,
		MaxInstances:    *maxInstances,
		PorcupineMaxOps: *porcupineMax,
		Timings:         *timings,
	})
	if err != nil {
		fmt.Fprintf(stderr, "logsim check: %v\n", err)
		return exitBadUser
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "logsim check: %v\n", err)
			return exitBadUser
		}
	} else if err := res.WriteText(stdout, *perType); err != nil {
		fmt.Fprintf(stderr, "logsim check: %v\n", err)
		return exitBadUser
	}
	if !res.Valid {
		return exitFailed
	}
	return exitOK
}

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"logsim/reports"
	"logsim/scenarios"
)

func init() {
	commands["run"] = command{
		summary: "run a scenario: simulate, check the history, report, and judge it against expect",
		run:     runRun,
	}
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr,
		"Usage: logsim run FILE [--seed N] [--out DIR] [--set PATH=VALUE]... [--trace] [--cpuprofile FILE]",
		"       logsim run --omb-workload W.yaml [--omb-driver D.yaml] [flags]",
		"\nRuns the scenario FILE (or the name of a shipped scenario, see logsim list): load,",
		"heal and drain phases on the simulator, then the checker. Prints a summary and writes",
		"the output folder. Exit status: 0 when the expectations hold, 1 when they do not",
		"(the reproduction command is printed), 2 on bad input.",
	)
	seed := fs.String("seed", "", "the seed (overrides the scenario's)")
	out := fs.String("out", "", "output folder for the resolved scenario, history.jsonl, result.json and the reports (default out/NAME)")
	sets := fs.StringArray("set", nil, "override a value, PATH=VALUE (repeatable), such as producers.p.config.linger.ms=50")
	trace := fs.Bool("trace", false, "write the simulator's event trace to trace.log in the output folder")
	progress := fs.String("progress", "auto", "progress line: auto (on a terminal), always, never")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run (go tool pprof) to this file; make pgo builds logsim's from these")
	omb := addOMBFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 && !omb.given() {
		fmt.Fprintln(stderr, "logsim run: expected exactly one scenario FILE")
		fs.Usage()
		return exitBadUser
	}
	if *progress != "auto" && *progress != "always" && *progress != "never" {
		fmt.Fprintf(stderr, "logsim run: --progress %q: accepted: auto, always, never\n", *progress)
		return exitBadUser
	}
	allSets := append([]string{}, *sets...)
	if *seed != "" {
		if _, err := strconv.ParseUint(*seed, 10, 64); err != nil {
			fmt.Fprintf(stderr, "logsim run: --seed %q: accepted: an integer >= 0\n", *seed)
			return exitBadUser
		}
		allSets = append(allSets, "seed="+*seed)
	}
	file := fs.Arg(0)
	s, fromOMB, err := omb.scenario(fs.Args(), allSets)
	if !fromOMB {
		s, err = loadScenario(file, allSets)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitBadUser
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("out", s.Name)
	}
	if fromOMB {
		// The run reproduces from its resolved scenario.yaml, which carries the mapping.
		file, *sets = filepath.Join(dir, scenarios.ScenarioFile), nil
	}
	opts := scenarios.RunOptions{OutDir: dir, File: file, Sets: *sets}
	if *trace {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "logsim run: %v\n", err)
			return exitBadUser
		}
		tf, err := os.Create(filepath.Join(dir, "trace.log"))
		if err != nil {
			fmt.Fprintf(stderr, "logsim run: %v\n", err)
			return exitBadUser
		}
		defer tf.Close()
		opts.Trace = tf
	}
	showProgress := *progress == "always" || *progress == "auto" && isTerminal(stderr)
	if showProgress {
		var last time.Time
		opts.Progress = func(p reports.Progress) {
			// Redraw at most ten times a second of wall time.
			if now := time.Now(); now.Sub(last) >= 100*time.Millisecond {
				last = now
				fmt.Fprintf(stderr, "\r\x1b[K%s", reports.FormatProgress(p))
			}
		}
	}
	fmt.Fprintf(stdout, "logsim run %s: %s\n", s.Name, s.Description)
	fmt.Fprintf(stdout, "seed %d, %d brokers, %v load + %v heal + up to %v drain (simulated)\n",
		s.Seed, s.Cluster.Brokers, s.Duration, s.Phases.Heal, s.Phases.Drain)
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "logsim run: --cpuprofile: %v\n", err)
			return exitBadUser
		}
		defer stop()
	}
	start := time.Now()
	o, err := scenarios.Run(s, opts)
	if showProgress {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	if err != nil {
		fmt.Fprintf(stderr, "logsim run: %v\n", err)
		return exitBadUser
	}
	wall := time.Since(start)
	printOutcome(stdout, o, wall, dir)
	if !o.Passed {
		fmt.Fprintf(stdout, "\nreproduce: %s\n", o.Reproduce)
		return exitFailed
	}
	return exitOK
}

// startCPUProfile profiles the process into file until stop is called.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// printOutcome prints the run's summary for people.
func printOutcome(w io.Writer, o *scenarios.Outcome, wall time.Duration, dir string) {
	fmt.Fprintln(w)
	if o.Metrics != nil {
		fmt.Fprintln(w, strings.TrimRight(reports.ConsoleSummary(o.Metrics), "\n"))
		sent, acked := o.LoadThroughput()
		fmt.Fprintf(w, "load phase (%v): %.0f records/s sent, %.0f records/s acknowledged\n", o.Scenario.Duration, sent, acked)
	}
	x := 0.0
	if wall > 0 {
		x = o.SimTime.Seconds() / wall.Seconds()
	}
	fmt.Fprintf(w, "simulated %v in %v of wall time (%.0fx real time), %d events\n",
		o.SimTime.Round(time.Millisecond), wall.Round(time.Millisecond), x, o.Events)
	if o.Metrics != nil && len(o.Metrics.Faults) > 0 {
		fmt.Fprintf(w, "faults injected: %d (times from the start of the load phase, %v into the history)\n",
			len(o.Metrics.Faults), o.LoadStart.Round(time.Millisecond))
		for i, f := range o.Metrics.Faults {
			if i == 8 {
				fmt.Fprintf(w, "  ... and %d more (see report.html)\n", len(o.Metrics.Faults)-8)
				break
			}
			fmt.Fprintf(w, "  %-24s %8v to %-8v %s\n", f.Name, time.Duration(f.StartNs).Round(time.Millisecond),
				time.Duration(f.StopNs).Round(time.Millisecond), f.Target)
		}
	}
	fmt.Fprintln(w)
	if o.Failure != nil {
		fmt.Fprintf(w, "the simulation FAILED: %v\n", o.Failure)
	}
	if c := o.Check; c != nil {
		st := "valid"
		if !c.Valid {
			st = "INVALID"
		}
		fmt.Fprintf(w, "history: %d operations, %d records read back; checker: %s\n", c.Stats.Ops, c.Stats.RecordsRead, st)
		if len(c.AnomalyTypes) == 0 {
			fmt.Fprintln(w, "anomalies: none")
		}
		for _, t := range c.AnomalyTypes {
			list := c.Anomalies[t]
			counted := 0
			for _, a := range list {
				if a.Excused == "" {
					counted++
				}
			}
			note := ""
			if counted < len(list) {
				note = fmt.Sprintf(" (%d excused)", len(list)-counted)
			}
			fmt.Fprintf(w, "anomaly %s: %d%s\n", t, len(list), note)
			if len(list) > 0 && list[0].Explanation != "" {
				fmt.Fprintf(w, "  e.g. %s\n", firstLine(list[0].Explanation))
			}
		}
	}
	for _, f := range o.Findings {
		fmt.Fprintln(w, f)
	}
	for _, x := range o.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
	exp := o.Scenario.Expect
	want := "valid"
	if !exp.Valid {
		want = "invalid"
	}
	if len(exp.Anomalies) > 0 {
		want += ", with " + strings.Join(exp.Anomalies, ", ")
	}
	fmt.Fprintf(w, "\nexpected: %s\n", want)
	if o.Passed {
		fmt.Fprintln(w, "verdict: PASS (every expectation held)")
	} else {
		fmt.Fprintln(w, "verdict: FAIL")
		for _, r := range o.Reasons {
			fmt.Fprintf(w, "  - %s\n", r)
		}
	}
	fmt.Fprintf(w, "fingerprint: %016x\n", o.Fingerprint)
	if len(o.Files) > 0 {
		fmt.Fprintf(w, "output: %s/ (%s, %s, %s, plots)\n", dir, scenarios.HistoryFile, reports.ResultFile, reports.ReportFile)
		fmt.Fprintf(w, "open %s for the plots and the anomalies explained\n", filepath.Join(dir, reports.ReportFile))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

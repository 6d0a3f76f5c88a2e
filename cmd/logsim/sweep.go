package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"logsim/reports"
	"logsim/scenarios"
)

func init() {
	commands["sweep"] = command{
		summary: "run every combination of swept settings and compare throughput, latency, bytes and CPU",
		run:     runSweep,
	}
}

// sweepResult is what one configuration's run left for the comparison.
type sweepResult struct {
	cfg     scenarios.SweepConfig
	outcome *scenarios.Outcome
	err     error
	wall    time.Duration
}

func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sweep", stderr,
		"Usage: logsim sweep FILE [--param PATH=V1,V2,...]... [--out DIR] [--parallel N] [--p99 LIMIT] [--set PATH=VALUE]...",
		"\nRuns every combination of the scenario's sweep: section and the --param values, each",
		"its own deterministic simulation, several at once. Writes each configuration's run",
		"folder under DIR/<configuration>/ and the comparison in DIR: comparison.md, .csv and",
		".json, overlay plots and index.html; prints the configurations with the highest",
		"throughput within the p99 bound. Exit status: 0 when every configuration ran (whether",
		"or not it met its expectations: see the verdict column), 1 when one could not be",
		"run or its simulation failed, 2 on bad input.",
	)
	params := fs.StringArray("param", nil, "sweep a setting, PATH=V1,V2,... (repeatable; PATH as --set takes it); adds to or replaces the file's sweep section")
	sets := fs.StringArray("set", nil, "override a value in every configuration, PATH=VALUE (repeatable)")
	seed := fs.String("seed", "", "the seed of every configuration (overrides the scenario's)")
	out := fs.String("out", "", "output folder: one run folder per configuration and the comparison (default out/NAME-sweep)")
	parallel := fs.Int("parallel", runtime.NumCPU(), "configurations simulated at once")
	p99 := fs.String("p99", "", "the p99 publish latency bound of the question \"which configurations reach the highest throughput within it\", such as 20ms (default: the scenario's expect latency.max produce.p99)")
	progress := fs.String("progress", "auto", "progress: auto (a bar on a terminal, plain lines otherwise), always (the bar), never")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "logsim sweep: expected exactly one scenario FILE")
		fs.Usage()
		return exitBadUser
	}
	if *parallel < 1 {
		fmt.Fprintf(stderr, "logsim sweep: --parallel %d: accepted: 1 or more\n", *parallel)
		return exitBadUser
	}
	if *progress != "auto" && *progress != "always" && *progress != "never" {
		fmt.Fprintf(stderr, "logsim sweep: --progress %q: accepted: auto, always, never\n", *progress)
		return exitBadUser
	}
	var limit time.Duration
	if *p99 != "" {
		d, err := time.ParseDuration(*p99)
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "logsim sweep: --p99 %q: accepted: a duration above 0, such as 20ms or 1.5s\n", *p99)
			return exitBadUser
		}
		limit = d
	}
	allSets := append([]string{}, *sets...)
	if *seed != "" {
		if _, err := strconv.ParseUint(*seed, 10, 64); err != nil {
			fmt.Fprintf(stderr, "logsim sweep: --seed %q: accepted: an integer >= 0\n", *seed)
			return exitBadUser
		}
		allSets = append(allSets, "seed="+*seed)
	}
	var dims []scenarios.SweepDim
	for _, p := range *params {
		d, err := scenarios.ParseSweepParam(p)
		if err != nil {
			fmt.Fprintf(stderr, "logsim sweep: %v\n", err)
			return exitBadUser
		}
		dims = append(dims, d)
	}
	sw, err := scenarios.LoadSweep(fs.Arg(0), allSets, dims)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitBadUser
	}
	limitFrom := "--p99"
	if limit == 0 {
		limit, limitFrom = sw.Base.Expect.Latency["produce.p99"], "the scenario's expect latency.max produce.p99; --p99 sets another"
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("out", sw.Base.Name+"-sweep")
	}

	n := len(sw.Configs)
	fmt.Fprintf(stdout, "logsim sweep %s: %d configuration(s)", sw.Base.Name, n)
	for i, d := range sw.Dims {
		sep := " over "
		if i > 0 {
			sep = " x "
		}
		vals := make([]string, len(d.Values))
		for j, v := range d.Values {
			vals[j] = string(v)
		}
		fmt.Fprintf(stdout, "%s%s [%s]", sep, d.Path, strings.Join(vals, ", "))
	}
	fmt.Fprintf(stdout, "\n%d at once, seed %d, %v load each (simulated)\n\n", min(*parallel, n), sw.Base.Seed, sw.Base.Duration)

	bar := *progress == "always" || *progress == "auto" && isTerminal(stderr)
	tracker := newSweepTracker(stderr, n, bar)
	start := time.Now()
	results := runConfigurations(sw, dir, *parallel, tracker)
	tracker.finish()

	// A configuration that could not run leaves nothing to compare; the rest still are.
	status := exitOK
	var runs []reports.Labeled
	for _, r := range results {
		switch {
		case r.err != nil:
			fmt.Fprintf(stderr, "logsim sweep: %s: %v\n", r.cfg.Label, r.err)
			status = exitFailed
			continue
		case r.outcome.Failure != nil:
			fmt.Fprintf(stderr, "logsim sweep: %s: the simulation failed: %v\nreproduce: %s\n", r.cfg.Label, r.outcome.Failure, r.outcome.Reproduce)
			status = exitFailed
		}
		runs = append(runs, reports.Labeled{Label: r.cfg.Label, Params: r.cfg.Params, Dir: r.cfg.Dir,
			Result: reports.ResultOf(r.outcome.Report())})
	}
	if len(runs) == 0 {
		fmt.Fprintln(stderr, "logsim sweep: no configuration ran; nothing to compare")
		return exitFailed
	}
	if _, err := reports.WriteComparison(dir, runs, limit); err != nil {
		fmt.Fprintf(stderr, "logsim sweep: writing the comparison: %v\n", err)
		return exitFailed
	}
	printSweepTable(stdout, runs, results)
	printAnswer(stdout, runs, limit)
	if limit > 0 {
		fmt.Fprintf(stdout, "(bound from %s)\n", limitFrom)
	}
	fmt.Fprintf(stdout, "\nswept %d configuration(s) in %v of wall time\n", n, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "output: %s/ (comparison.md, comparison.csv, comparison.json, plots, one folder per configuration)\n", dir)
	fmt.Fprintf(stdout, "open %s for the plots and the table\n", filepath.Join(dir, "index.html"))
	return status
}

// runConfigurations runs every configuration on a pool of workers and returns the
// results in configuration order. Each configuration is a separate simulation with
// its own seeded streams, so running them side by side changes none of them.
func runConfigurations(sw *scenarios.Sweep, dir string, workers int, t *sweepTracker) []sweepResult {
	results := make([]sweepResult, len(sw.Configs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(sw.Configs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = runConfiguration(sw, dir, sw.Configs[i], t)
			}
		}()
	}
	for i := range sw.Configs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

func runConfiguration(sw *scenarios.Sweep, dir string, cfg scenarios.SweepConfig, t *sweepTracker) sweepResult {
	r := sweepResult{cfg: cfg}
	s, err := sw.Scenario(cfg)
	if err != nil {
		r.err = err
		t.done(cfg, nil, err, 0)
		return r
	}
	t.started(cfg, s.Duration+s.Phases.Heal)
	start := time.Now()
	o, err := scenarios.Run(s, scenarios.RunOptions{
		OutDir:   filepath.Join(dir, cfg.Dir),
		File:     sw.File(),
		Sets:     append(sw.Sets(), cfg.Sets()...),
		Progress: func(p reports.Progress) { t.progress(cfg, p) },
	})
	r.outcome, r.err, r.wall = o, err, time.Since(start)
	t.done(cfg, o, err, r.wall)
	return r
}

// sweepTracker shows how far a sweep is: a bar redrawn in place on a terminal, or one
// plain line as each configuration starts and ends.
type sweepTracker struct {
	mu       sync.Mutex
	w        io.Writer
	bar      bool
	total    int
	finished int
	running  map[string]reports.Progress
	planned  map[string]time.Duration
	order    []string
	last     time.Time
	start    time.Time
}

func newSweepTracker(w io.Writer, total int, bar bool) *sweepTracker {
	return &sweepTracker{w: w, bar: bar, total: total, running: map[string]reports.Progress{},
		planned: map[string]time.Duration{}, start: time.Now()}
}

func (t *sweepTracker) started(cfg scenarios.SweepConfig, end time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running[cfg.Label] = reports.Progress{End: end}
	t.planned[cfg.Label] = end
	t.order = append(t.order, cfg.Label)
	if t.bar {
		t.draw(true)
		return
	}
	fmt.Fprintf(t.w, "[%d/%d] start %s\n", cfg.Index+1, t.total, cfg.Label)
}

func (t *sweepTracker) progress(cfg scenarios.SweepConfig, p reports.Progress) {
	if !t.bar {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.running[cfg.Label]; ok && p.End == 0 {
		p.End = old.End
	}
	t.running[cfg.Label] = p
	t.draw(false)
}

func (t *sweepTracker) done(cfg scenarios.SweepConfig, o *scenarios.Outcome, err error, wall time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished++
	delete(t.running, cfg.Label)
	delete(t.planned, cfg.Label)
	for i, l := range t.order {
		if l == cfg.Label {
			t.order = append(t.order[:i], t.order[i+1:]...)
			break
		}
	}
	line := fmt.Sprintf("[%d/%d] done  %s: ", cfg.Index+1, t.total, cfg.Label)
	switch {
	case err != nil:
		line += "could not run: " + firstLine(err.Error())
	case o.Failure != nil:
		line += "simulation FAILED: " + firstLine(o.Failure.Error())
	default:
		verdict := "pass"
		if !o.Passed {
			verdict = "fail"
		}
		if m := o.Metrics; m != nil {
			line += fmt.Sprintf("%.0f msg/s, p99 %s, ", m.Summary.PublishRate, reports.FormatLatency(time.Duration(m.Summary.PublishLatency.P99Ns)))
		}
		line += fmt.Sprintf("%s (%v)", verdict, wall.Round(10*time.Millisecond))
	}
	if t.bar {
		// Completed configurations stay on screen above the bar.
		fmt.Fprintf(t.w, "\r\x1b[K%s\n", line)
		t.draw(true)
		return
	}
	fmt.Fprintln(t.w, line)
}

// draw redraws the bar, at most ten times a second unless forced.
func (t *sweepTracker) draw(force bool) {
	now := time.Now()
	if !force && now.Sub(t.last) < 100*time.Millisecond {
		return
	}
	t.last = now
	const width = 24
	// Running configurations count by the share of their load and heal phases done
	// (the drain phase's deadline is an upper bound, usually far from reached).
	frac := float64(t.finished)
	for label, p := range t.running {
		if end := t.planned[label]; end > 0 {
			frac += min(float64(p.Now)/float64(end), 1)
		}
	}
	fill := int(float64(width) * frac / float64(max(t.total, 1)))
	line := fmt.Sprintf("[%s%s] %d/%d done, %d running, %v", strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		t.finished, t.total, len(t.running), now.Sub(t.start).Round(time.Second))
	if len(t.order) > 0 {
		// The oldest running configuration's progress line.
		label := t.order[0]
		line += " | " + label + " " + reports.FormatProgress(t.running[label])
	}
	// A line longer than the terminal would wrap, and \r would then redraw only its end.
	if w := terminalWidth(); len([]rune(line)) > w-1 {
		line = string([]rune(line)[:w-1])
	}
	fmt.Fprintf(t.w, "\r\x1b[K%s", line)
}

// terminalWidth is $COLUMNS, or 120.
func terminalWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		return n
	}
	return 120
}

func (t *sweepTracker) finish() {
	if t.bar {
		t.mu.Lock()
		fmt.Fprint(t.w, "\r\x1b[K")
		t.mu.Unlock()
	}
}

// printSweepTable prints the key figures of each configuration, in sweep order.
func printSweepTable(w io.Writer, runs []reports.Labeled, results []sweepResult) {
	labelW := len("configuration")
	for _, r := range runs {
		labelW = max(labelW, len(r.Label))
	}
	fmt.Fprintf(w, "%-*s  %-7s %11s %9s %10s %10s %10s %10s %9s %6s %8s\n", labelW, "configuration", "verdict",
		"publish/s", "MiB/s", "p50 ms", "p99 ms", "p99.9 ms", "e2e p99", "rec/batch", "ratio", "CPU")
	c := reports.Compare(runs)
	for _, r := range c.Rows {
		fmt.Fprintf(w, "%-*s  %-7s %11.0f %9.2f %10.2f %10.2f %10.2f %10.2f %9.1f %6.2f %7.1f%%\n", labelW, r.Label, r.Status,
			r.PublishRate, r.PublishMiBps, ms(r.PublishP50Ns), ms(r.PublishP99Ns), ms(r.PublishP999Ns), ms(r.E2EP99Ns),
			r.RecordsPerBatch, r.CompressionRatio, 100*r.BrokerCPUUtilization)
	}
	for _, r := range results {
		if r.outcome != nil {
			fmt.Fprintf(w, "fingerprint %016x  %s\n", r.outcome.Fingerprint, r.cfg.Label)
		}
	}
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// printAnswer answers "which configurations reach the highest throughput within the
// p99 bound"; without a bound it ranks every configuration that passed by throughput.
func printAnswer(w io.Writer, runs []reports.Labeled, limit time.Duration) {
	c := reports.Compare(runs)
	fmt.Fprintln(w)
	if limit <= 0 {
		best := c.BestWithinP99(time.Duration(1<<63 - 1))
		if len(best) == 0 {
			fmt.Fprintln(w, "no configuration passed; none can be recommended")
			return
		}
		fmt.Fprintf(w, "highest throughput (no p99 bound given; use --p99): %s, %.0f msg/s at p99 %.2f ms\n",
			best[0].Label, best[0].PublishRate, ms(best[0].PublishP99Ns))
		return
	}
	best := c.BestWithinP99(limit)
	if len(best) == 0 {
		fmt.Fprintf(w, "no configuration stays within p99 publish latency <= %v\n", limit)
		return
	}
	fmt.Fprintf(w, "highest throughput within p99 publish latency <= %v:\n", limit)
	for i, r := range best {
		if i == 5 {
			fmt.Fprintf(w, "  ... and %d more (comparison.md)\n", len(best)-5)
			break
		}
		fmt.Fprintf(w, "  %d. %s: %.0f msg/s (%.2f MiB/s), p99 %.2f ms\n", i+1, r.Label, r.PublishRate, r.PublishMiBps, ms(r.PublishP99Ns))
	}
}

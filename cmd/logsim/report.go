package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"logsim/reports"
)

func init() {
	commands["report"] = command{
		summary: "rebuild a run's report files from its result.json, or compare earlier runs and sweeps",
		run:     runReport,
	}
}

// comparisonFile is the sweep's comparison table, which lists its run folders.
const comparisonFile = "comparison.json"

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report", stderr,
		"Usage: logsim report DIR... [--out DIR] [--p99 LIMIT]",
		"\nWith one run folder (or its result.json), rebuilds the run's report files from",
		"result.json: omb-result.json, .hlog and .hgrm files, plots, summary.md and",
		"report.html. With several folders, or a sweep's folder, writes a comparison of the",
		"runs: comparison.md, .csv and .json, overlay plots and index.html. A sweep's folder",
		"stands for all of its configurations. Exit status: 0 on success, 2 on bad input.",
	)
	out := fs.String("out", "", "output folder (one run: default the run's own folder; a comparison: default out/comparison, or the sweep's own folder)")
	p99 := fs.String("p99", "", "for a comparison: the p99 publish latency bound of \"which configurations reach the highest throughput within it\", such as 20ms")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "logsim report: expected at least one output folder")
		fs.Usage()
		return exitBadUser
	}
	var limit time.Duration
	if *p99 != "" {
		d, err := time.ParseDuration(*p99)
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "logsim report: --p99 %q: accepted: a duration above 0, such as 20ms or 1.5s\n", *p99)
			return exitBadUser
		}
		limit = d
	}
	dirs := fs.Args()
	if len(dirs) == 1 && !isSweepDir(dirs[0]) {
		return rebuildRun(dirs[0], *out, stdout, stderr)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("out", "comparison")
		if len(dirs) == 1 {
			dir = dirs[0]
		}
	}
	var runs []reports.Labeled
	var plain []string
	flush := func() error {
		if len(plain) == 0 {
			return nil
		}
		list, err := reports.ReadRuns(plain)
		if err != nil {
			return err
		}
		runs, plain = append(runs, list...), nil
		return nil
	}
	for _, d := range dirs {
		if !isSweepDir(d) {
			plain = append(plain, d)
			continue
		}
		if err := flush(); err != nil {
			fmt.Fprintf(stderr, "logsim report: %v\n", err)
			return exitBadUser
		}
		list, err := readSweep(d)
		if err != nil {
			fmt.Fprintf(stderr, "logsim report: %v\n", err)
			return exitBadUser
		}
		runs = append(runs, list...)
	}
	if err := flush(); err != nil {
		fmt.Fprintf(stderr, "logsim report: %v\n", err)
		return exitBadUser
	}
	// index.html links each run's report relative to the comparison's folder.
	for i := range runs {
		if rel, err := filepath.Rel(dir, runs[i].Dir); err == nil {
			runs[i].Dir = filepath.ToSlash(rel)
		}
	}
	names, err := reports.WriteComparison(dir, runs, limit)
	if err != nil {
		fmt.Fprintf(stderr, "logsim report: writing the comparison: %v\n", err)
		return exitFailed
	}
	printAnswer(stdout, runs, limit)
	fmt.Fprintf(stdout, "\ncompared %d run(s): %s/ (%d files; open %s)\n", len(runs), dir, len(names), filepath.Join(dir, "index.html"))
	return exitOK
}

// rebuildRun rewrites a run's report files from its result.json.
func rebuildRun(src, out string, stdout, stderr io.Writer) int {
	res, err := reports.ReadResult(src)
	if err != nil {
		fmt.Fprintf(stderr, "logsim report: %v\n", err)
		return exitBadUser
	}
	dir := out
	if dir == "" {
		dir = src
		if st, err := os.Stat(src); err == nil && !st.IsDir() {
			dir = filepath.Dir(src)
		}
	}
	names, err := reports.WriteRun(dir, res.Run())
	if err != nil {
		fmt.Fprintf(stderr, "logsim report: %s: %v\n", src, err)
		return exitFailed
	}
	// result.json keeps the whole-run histograms, not each interval's, so the interval
	// logs cannot be rebuilt: a rebuild elsewhere copies them from the run's folder.
	srcDir := src
	if st, err := os.Stat(src); err == nil && !st.IsDir() {
		srcDir = filepath.Dir(src)
	}
	if abs1, abs2 := absPath(srcDir), absPath(dir); abs1 != abs2 {
		logs, _ := filepath.Glob(filepath.Join(srcDir, "*.hlog"))
		for _, l := range logs {
			data, err := os.ReadFile(l)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, filepath.Base(l)), data, 0o644)
			}
			if err != nil {
				fmt.Fprintf(stderr, "logsim report: copying %s: %v\n", l, err)
				return exitFailed
			}
			names = append(names, filepath.Base(l))
		}
	}
	if res.Metrics != nil {
		fmt.Fprintln(stdout, reports.ConsoleSummary(res.Metrics))
	}
	fmt.Fprintf(stdout, "verdict: %s\n", res.Verdict.Status)
	fmt.Fprintf(stdout, "rebuilt %d files in %s/ (open %s)\n", len(names), dir, filepath.Join(dir, reports.ReportFile))
	return exitOK
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// isSweepDir reports whether dir is a comparison folder (a sweep's) rather than a run's.
func isSweepDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, reports.ResultFile)); err == nil {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, comparisonFile))
	return err == nil
}

// readSweep reads the runs a comparison folder lists, with their labels and
// parameters, from their own result.json files.
func readSweep(dir string) ([]reports.Labeled, error) {
	path := filepath.Join(dir, comparisonFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c reports.Comparison
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: not a logsim comparison: %v", path, err)
	}
	if len(c.Rows) == 0 {
		return nil, fmt.Errorf("%s: the comparison lists no runs", path)
	}
	var runs []reports.Labeled
	for _, r := range c.Rows {
		if r.Dir == "" {
			return nil, fmt.Errorf("%s: configuration %q names no run folder, so its result cannot be read again", path, r.Label)
		}
		runDir := filepath.Join(dir, filepath.FromSlash(r.Dir))
		res, err := reports.ReadResult(runDir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: configuration %q: %s is missing", path, r.Label, filepath.Join(runDir, reports.ResultFile))
		}
		if err != nil {
			return nil, err
		}
		runs = append(runs, reports.Labeled{Label: r.Label, Params: r.Params, Dir: runDir, Result: res})
	}
	return runs, nil
}

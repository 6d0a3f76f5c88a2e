package reports

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// Names of the files in a run's output folder.
const (
	ResultFile    = "result.json"
	OMBResultFile = "omb-result.json"
	SummaryFile   = "summary.md"
	ReportFile    = "report.html"
)

// RunFiles renders every file of a run's output folder in memory, keyed by file name.
// .hlog files are included only when m carries per-interval histograms (metrics from
// a Recorder, not read back from result.json).
func RunFiles(run *Run) (map[string][]byte, error) {
	if run.Metrics == nil {
		return nil, fmt.Errorf("run %q has no metrics", run.Name)
	}
	m := run.Metrics
	files := map[string][]byte{}
	var buf bytes.Buffer
	emit := func(name string, write func() error) error {
		buf.Reset()
		if err := write(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		files[name] = bytes.Clone(buf.Bytes())
		return nil
	}
	if err := emit(ResultFile, func() error { return WriteResultJSON(&buf, run) }); err != nil {
		return nil, err
	}
	if err := emit(OMBResultFile, func() error { return WriteOMBResult(&buf, run) }); err != nil {
		return nil, err
	}
	if err := emit(SummaryFile, func() error { return WriteSummaryMarkdown(&buf, run) }); err != nil {
		return nil, err
	}
	for _, k := range LatencyKinds {
		h, err := m.Histogram(k)
		if err != nil {
			return nil, err
		}
		if err := emit(k.FileStem()+".hgrm", func() error { return WriteHgrm(&buf, h) }); err != nil {
			return nil, err
		}
		if m.HasIntervalHistograms() {
			if err := emit(k.FileStem()+".hlog", func() error { return WriteHlog(&buf, m, k) }); err != nil {
				return nil, err
			}
		}
	}
	plots, err := RunPlots(m)
	if err != nil {
		return nil, err
	}
	for _, p := range plots {
		files[p.Name+".svg"] = p.SVG
		files[p.Name+".png"] = p.PNG
	}
	if err := emit(ReportFile, func() error { return WriteReportHTML(&buf, run, plots) }); err != nil {
		return nil, err
	}
	return files, nil
}

// WriteRun writes every file of a run's output folder into dir (created if needed) and
// returns the file names written, sorted. Existing files of other names are left alone
// (a porcupine visualization, .hlog files when rebuilding from result.json).
func WriteRun(dir string, run *Run) ([]string, error) {
	files, err := RunFiles(run)
	if err != nil {
		return nil, err
	}
	return writeFiles(dir, files)
}

func writeFiles(dir string, files map[string][]byte) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return nil, err
		}
	}
	return names, nil
}

package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumInstall is what a Debian machine needs for the browser tests.
const chromiumInstall = "apt-get update && apt-get install -y chromium"

// findChromium returns the headless browser, or skips the test saying how to get it.
func findChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skipf("chromium not found (neither /usr/bin/chromium nor chromium on PATH); install it with: %s", chromiumInstall)
	return ""
}

// consoleLine matches what Chromium logs to stderr for a page's console messages
// (console.log/warn/error and uncaught exceptions) with --enable-logging=stderr.
var consoleLine = regexp.MustCompile(`:CONSOLE[:(]\d+\)?\] .*`)

// browse loads a local file in headless Chromium, lets its scripts run, and returns
// the DOM after the load event and the console lines the page logged. Extra flags
// (e.g. --screenshot) replace --dump-dom.
func browse(t *testing.T, chromium, file string, extra ...string) (dom string, console []string) {
	t.Helper()
	abs, err := filepath.Abs(file)
	require.NoError(t, err)
	args := []string{
		// The flags known to work on this kind of machine, as root, with a closed network.
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0",
		"--virtual-time-budget=5000",
		"--window-size=1200,900",
	}
	if len(extra) == 0 {
		args = append(args, "--dump-dom")
	} else {
		args = append(args, extra...)
	}
	args = append(args, "file://"+abs)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium failed: %s", lastLines(stderr.String(), 10))
	for _, l := range strings.Split(stderr.String(), "\n") {
		if m := consoleLine.FindString(l); m != "" {
			console = append(console, m)
		}
	}
	return stdout.String(), console
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var plotsLoaded = regexp.MustCompile(`data-plots="(\d+)/(\d+)"`)

func TestReportHTMLInBrowser(t *testing.T) {
	chromium := findChromium(t)
	dir := t.TempDir()
	_, err := WriteRun(dir, goldenRun(t))
	require.NoError(t, err)
	report := filepath.Join(dir, ReportFile)

	dom, console := browse(t, chromium, report)
	assert.Empty(t, console, "report.html logged to the console")
	m := plotsLoaded.FindStringSubmatch(dom)
	require.NotNil(t, m, "the page's load handler did not run")
	assert.Equal(t, "8", m[2], "plots on the page")
	assert.Equal(t, m[2], m[1], "every plot image decoded")
	for _, want := range []string{"<h1>partition-and-crash</h1>", "Fault timeline", "lost-write", "Latency (ms)"} {
		assert.True(t, strings.Contains(dom, want), "rendered page lacks %q", want)
	}

	// The same checks catch a broken page: one plot made undecodable and a script
	// error must show up as a console message and a short plot count.
	page, err := os.ReadFile(report)
	require.NoError(t, err)
	broken := strings.Replace(string(page), `src="data:image/svg&#43;xml;base64,`, `src="data:image/svg&#43;xml;base64,AAAA`, 1)
	broken = strings.Replace(broken, "</main>", "<script>undefinedFunction();</script></main>", 1)
	require.NotEqual(t, string(page), broken)
	bad := filepath.Join(dir, "broken.html")
	require.NoError(t, os.WriteFile(bad, []byte(broken), 0o644))
	dom, console = browse(t, chromium, bad)
	m = plotsLoaded.FindStringSubmatch(dom)
	require.NotNil(t, m)
	assert.Equal(t, "7", m[1], "a broken plot is counted")
	joined := strings.Join(console, "\n")
	assert.Contains(t, joined, "plot failed to load: latency-percentiles")
	assert.Contains(t, joined, "undefinedFunction")

	// A screenshot for people: REPORTS_SCREENSHOT=path keeps one.
	if shot := os.Getenv("REPORTS_SCREENSHOT"); shot != "" {
		abs, err := filepath.Abs(shot)
		require.NoError(t, err)
		_, console = browse(t, chromium, report, "--screenshot="+abs, "--window-size=1200,3000", "--hide-scrollbars")
		assert.Empty(t, console)
	}
}

func TestIndexHTMLInBrowser(t *testing.T) {
	chromium := findChromium(t)
	dir := t.TempDir()
	_, err := WriteComparison(dir, smallGrid(t), 5*time.Millisecond)
	require.NoError(t, err)
	dom, console := browse(t, chromium, filepath.Join(dir, "index.html"))
	assert.Empty(t, console, "index.html logged to the console")
	m := plotsLoaded.FindStringSubmatch(dom)
	require.NotNil(t, m)
	assert.Equal(t, "4/4", m[1]+"/"+m[2])
	assert.Contains(t, dom, "Highest throughput within p99 publish latency")
}

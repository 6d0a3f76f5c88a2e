package scenarios

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target heap growth (debug.SetGCPercent) the
// logsim command runs with. A run keeps its logs, its history's tables and the
// checker's state live until the end, so its heap is mostly live data and grows all
// run long, while its garbage is short-lived. Go's default, 100, lets the heap reach
// twice the live data before each collection; 50 holds it to one and a half times, for
// a small share more CPU in the collector (it runs beside the simulation on a second
// core). The GOGC environment variable, when set, chooses instead.
const GCPercent = 50

// TuneGC sets GCPercent unless GOGC is set, and returns a function that restores the
// setting it replaced (for tests and benchmarks).
func TuneGC() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(GCPercent)
	return func() { debug.SetGCPercent(old) }
}

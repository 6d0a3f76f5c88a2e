package checker

import (
	"path/filepath"
	"strings"

	"logsim/checker/edn"
	"logsim/checker/history"
)

// ReadFile reads a history file: a .edn file as a Jepsen Kafka history (package
// checker/edn), anything else as logsim's JSON Lines (package checker/history).
// Errors name the file, line and column.
func ReadFile(path string) ([]history.Op, error) {
	if strings.EqualFold(filepath.Ext(path), ".edn") {
		return edn.ReadFile(path)
	}
	return history.ReadFile(path)
}

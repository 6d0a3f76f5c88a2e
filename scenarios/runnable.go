package scenarios

import (
	"slices"

	"logsim/checker"
	"logsim/faults"
)

// invalidating lists the required anomalies that make a history invalid: those the
// checker does not allow by default (expired-unconsumed is policy, not an error) and
// the expectation does not allow.
func (e *Expect) invalidating() []string {
	var out []string
	allowed := checker.DefaultAllowed(false)
	for _, a := range e.Anomalies {
		if !slices.Contains(allowed, a) && !slices.Contains(e.Allow, a) {
			out = append(out, a)
		}
	}
	return out
}

// runnable rejects what the file format accepts but the runner cannot simulate yet,
// naming what is missing, so that a run never starts with a setting it would ignore.
func (v *validator) runnable(s *Scenario) {
	for i, co := range s.Consumers {
		p := elem("consumers", i)
		if co.Commit == CommitAsync {
			v.bad(child(p, "commit"), "commit async (commitAsync) is not supported yet by the consumer application; accepted: auto, after-processing, before-processing, async-worker, none")
		}
		if co.Config.PartitionAssignmentStrategy == "sticky" {
			v.bad(child(child(p, "config"), "partition.assignment.strategy"), "the eager sticky assignor is not supported yet; accepted: range, roundrobin, cooperative-sticky")
		}
	}
	for i := range s.Faults {
		if err := faults.Supported(&s.Faults[i]); err != nil {
			v.bad(elem("faults", i), "%v", err)
		}
	}
}

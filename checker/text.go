package checker

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
)

// WriteText explains the result for people: the verdict, then each anomaly type, the
// most damaging first and those that make the history invalid before allowed ones,
// with at most perType instances each (0 means all).
func (r *Result) WriteText(w io.Writer, perType int) error {
	var b strings.Builder
	if r.Valid {
		b.WriteString("VALID: no anomaly makes this history invalid.\n")
	} else {
		errs := append([]string(nil), r.Errors...)
		sort.SliceStable(errs, func(i, j int) bool { return severityRank(errs[i]) < severityRank(errs[j]) })
		for i, t := range errs {
			errs[i] = fmt.Sprintf("%s (%d)", t, max(r.Stats.AnomalyCounts[t], len(r.Anomalies[t])))
		}
		fmt.Fprintf(&b, "INVALID: %s.\n", strings.Join(errs, ", "))
	}
	switch r.Linearizable {
	case LinOK:
		b.WriteString("Linearizability (porcupine, per partition): ok.\n")
	case LinIllegal:
		b.WriteString("Linearizability (porcupine, per partition): ILLEGAL, see nonlinearizable below.\n")
	case LinUnknown:
		keys := ""
		if r.Stats.Linearizability != nil && len(r.Stats.Linearizability.UnknownKeys) > 0 {
			keys = " for " + strings.Join(r.Stats.Linearizability.UnknownKeys, ", ")
		}
		fmt.Fprintf(&b, "Linearizability (porcupine, per partition): unknown, the check timed out%s (this is not a pass).\n", keys)
	case LinSkipped:
		b.WriteString("Linearizability: not checked.\n")
	}
	if r.Stats.CycleSearchIncomplete {
		b.WriteString("Dependency cycles exist that the cycle search could not classify within its budget: G0/G1c results are incomplete.\n")
	}
	isErr := map[string]bool{}
	for _, t := range r.Errors {
		isErr[t] = true
	}
	types := append([]string(nil), r.AnomalyTypes...)
	sort.SliceStable(types, func(i, j int) bool {
		if isErr[types[i]] != isErr[types[j]] {
			return isErr[types[i]]
		}
		return severityRank(types[i]) < severityRank(types[j])
	})
	for _, t := range types {
		list := append([]*Anomaly(nil), r.Anomalies[t]...)
		sort.SliceStable(list, func(i, j int) bool { return list[i].Excused == "" && list[j].Excused != "" })
		counted := 0
		for _, an := range list {
			if an.Excused == "" {
				counted++
			}
		}
		status := "error"
		switch {
		case !isErr[t]:
			status = "allowed"
		case counted < len(list):
			status = fmt.Sprintf("error; %d excused", len(list)-counted)
		}
		total := max(r.Stats.AnomalyCounts[t], len(list))
		fmt.Fprintf(&b, "\n%s: %d (%s)\n", t, total, status)
		for i, an := range list {
			if perType > 0 && i == perType {
				break
			}
			fmt.Fprintf(&b, "  - %s\n", an.Explanation)
		}
		if shown := min(len(list), perType); perType > 0 && total > shown {
			fmt.Fprintf(&b, "  ... and %d more (--json lists %d)\n", total-shown, len(list))
		}
	}
	if lin := r.Stats.Linearizability; lin != nil && len(lin.Visualizations) > 0 {
		b.WriteString("\nPorcupine visualizations (open in a browser):\n")
		for _, p := range lin.Visualizations {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	s := r.Stats
	if l := s.WorstRealtimeLag; l != nil {
		fmt.Fprintf(&b, "\nWorst realtime lag: %s (process %d's poll of %s invoked at %s).\n", fmtTime(l.Lag), l.Process, l.Key, fmtTime(l.Time))
	}
	if len(s.Redeliveries) > 0 {
		groups := slices.Sorted(maps.Keys(s.Redeliveries))
		b.WriteString("\nRedeliveries (records a consumer group received more than once):")
		for _, g := range groups {
			fmt.Fprintf(&b, " %q %d", g, s.Redeliveries[g])
		}
		b.WriteString(".\n")
	}
	fmt.Fprintf(&b, "\n%s (%d pending), %s, %s, %s read.\n", plural(s.Ops, "operation"), s.Pending, plural(s.Events, "event"), plural(s.Keys, "key"), plural(s.RecordsRead, "record"))
	_, err := io.WriteString(w, b.String())
	return err
}

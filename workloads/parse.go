package workloads

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// call splits "name(arg, arg, ...)" into its name and top-level arguments. A plain
// value without parentheses comes back with ok false.
func call(s string) (name string, args []string, ok bool, err error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 {
		if strings.ContainsAny(s, "),") {
			return "", nil, false, fmt.Errorf("%q: unbalanced parentheses", s)
		}
		return "", nil, false, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", nil, false, fmt.Errorf("%q: missing closing parenthesis (in a flow mapping {...} or list [...], quote values that contain commas)", s)
	}
	name = strings.TrimSpace(s[:open])
	inner := s[open+1 : len(s)-1]
	depth, start := 0, 0
	for i := 0; i < len(inner); i++ {
		switch inner[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return "", nil, false, fmt.Errorf("%q: unbalanced parentheses", s)
			}
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(inner[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return "", nil, false, fmt.Errorf("%q: unbalanced parentheses", s)
	}
	if last := strings.TrimSpace(inner[start:]); last != "" || len(args) > 0 {
		args = append(args, last)
	}
	for _, a := range args {
		if a == "" {
			return "", nil, false, fmt.Errorf("%q: empty argument", s)
		}
	}
	return name, args, true, nil
}

// wantArgs checks the number of arguments of a call.
func wantArgs(name string, args []string, min, max int, form string) error {
	if len(args) < min || len(args) > max {
		return fmt.Errorf("%s takes %s", name, form)
	}
	return nil
}

// parseCount reads a non-negative count such as 1000, 1.5k, 2M or 1_000_000.
func parseCount(s string) (float64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1e9, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("%q is not a count (a number such as 1000, 1.5k or 2M)", s)
	}
	return v * mult, nil
}

// formatCount prints a count in the shortest form parseCount reads back exactly.
func formatCount(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// byteUnits are the size suffixes, longest first so that "KiB" wins over "B".
var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"kB", 1e3}, {"B", 1},
}

// ParseBytes reads a byte size: a plain number of bytes (16384) or a number with a
// unit: B, KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024). The result
// is rounded to whole bytes; negative sizes are rejected.
func ParseBytes(s string) (int64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	mult := 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size (accepted: a number of bytes such as 16384, or a number with a unit: B, KB, MB, GB, KiB, MiB, GiB)", s)
	}
	return int64(math.Round(v * mult)), nil
}

// FormatBytes prints n with the largest binary unit that divides it exactly (1KiB,
// 1536B, 64MiB), which ParseBytes reads back to n.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// parseDuration reads a Go duration ("200us", "1m30s"); a bare 0 is accepted.
func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (accepted: a number with a unit: ns, us, ms, s, m, h, such as 200us or 1m30s)", s)
	}
	return d, nil
}

// parseProbability reads a number in [0, 1].
func parseFloat(s, what string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number (%s)", s, what)
	}
	return v, nil
}

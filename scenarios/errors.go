package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is where a value came from: a file position, or a --set flag.
type Pos struct {
	File      string
	Line, Col int
	// Flag is the --set argument that gave the value ("" for a file).
	Flag string
}

// Error is one problem with a scenario: where, what, and the offending source line.
type Error struct {
	Pos
	// Path is the value's place in the scenario, such as producers[0].config.acks.
	Path string
	// Msg says what is wrong and what is accepted.
	Msg string
	// Source is the offending line of the file ("" when unknown).
	Source string
}

// Error prints "file:line:col: path: message", then the line with a caret under the
// column.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Flag != "":
		fmt.Fprintf(&b, "%s: ", e.Flag)
	case e.Line > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Col)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, "%s: ", e.Path)
	}
	b.WriteString(e.Msg)
	if e.Source != "" && e.Flag == "" {
		num := fmt.Sprintf("%5d", e.Line)
		src := strings.ReplaceAll(e.Source, "\t", " ")
		fmt.Fprintf(&b, "\n%s | %s\n%s | %s^", num, src, strings.Repeat(" ", len(num)), strings.Repeat(" ", max(e.Col-1, 0)))
	}
	return b.String()
}

// ErrorList is every problem found in a scenario, in file order.
type ErrorList []*Error

// Error prints each error, separated by blank lines.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n\n")
}

// sorted orders the errors by file position (flags last) and drops exact duplicates.
func (l ErrorList) sorted() ErrorList {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Flag, b.Flag), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return slices.CompactFunc(out, func(a, b *Error) bool { return a.Error() == b.Error() })
}

// err returns the list as an error, or nil when it is empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l.sorted()
}

// nearest returns the candidate closest to s by edit distance, if it is close enough to
// be a plausible typo.
func nearest(s string, candidates []string) (string, bool) {
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	limit := max(2, len(s)/3)
	if bestD < 0 || bestD > limit {
		return "", false
	}
	return best, true
}

// levenshtein is the edit distance between a and b (insertions, deletions,
// substitutions, each costing 1).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

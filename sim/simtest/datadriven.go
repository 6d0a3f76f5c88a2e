package simtest

import (
	"flag"
	"fmt"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of simtest scripts with the actual output")

// Rewrite reports whether -rewrite was given: callers then write RunScript's result
// back to the script file. (This package is part of the deterministic core and does
// no file I/O itself.)
func Rewrite() bool { return *rewrite }

// Arg is one argument of a command: a bare word (Key only) or key=value.
type Arg struct {
	Key   string
	Value string
}

// Command is one parsed command of a script.
type Command struct {
	Name string
	Args []Arg
	// Pos is file:line, for error messages.
	Pos string
}

// Get returns the value of key=value, or def.
func (c Command) Get(key, def string) string {
	for _, a := range c.Args {
		if a.Key == key {
			return a.Value
		}
	}
	return def
}

// Has reports whether the argument is present.
func (c Command) Has(key string) bool {
	for _, a := range c.Args {
		if a.Key == key {
			return true
		}
	}
	return false
}

// Words returns the bare words, in order.
func (c Command) Words() []string {
	var out []string
	for _, a := range c.Args {
		if a.Value == "" && !strings.Contains(a.Key, "=") {
			out = append(out, a.Key)
		}
	}
	return out
}

// exactWords returns the bare words when there are n of them; otherwise the error
// says what the command wants ("NAME wants " + want).
func (c Command) exactWords(n int, want string) ([]string, error) {
	words := c.Words()
	if len(words) != n {
		return nil, fmt.Errorf("%s wants %s", c.Name, want)
	}
	return words, nil
}

type block struct {
	cmd      Command
	line     string
	expected string
}

// parseScript splits a script into blocks. Errors name the file and line.
func parseScript(path, text string) ([]block, [][]string, error) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var blocks []block
	var pre [][]string // lines before each block (comments, blank lines), kept on rewrite
	var comment []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			comment = append(comment, l)
			continue
		}
		cmd, err := parseCommand(t)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		cmd.Pos = fmt.Sprintf("%s:%d", path, i+1)
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "----" {
			return nil, nil, fmt.Errorf("%s:%d: command %q must be followed by a line \"----\"", path, i+1, t)
		}
		i += 2
		var out []string
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			out = append(out, lines[i])
		}
		i-- // the blank line that ended the block belongs to what follows
		blocks = append(blocks, block{cmd: cmd, line: t, expected: strings.Join(out, "\n")})
		pre = append(pre, comment)
		comment = nil
	}
	pre = append(pre, comment)
	return blocks, pre, nil
}

func parseCommand(line string) (Command, error) {
	fields := strings.Fields(line)
	cmd := Command{Name: fields[0]}
	for _, f := range fields[1:] {
		if k, v, ok := strings.Cut(f, "="); ok {
			if k == "" {
				return cmd, fmt.Errorf("argument %q has no key", f)
			}
			cmd.Args = append(cmd.Args, Arg{Key: k, Value: v})
		} else {
			cmd.Args = append(cmd.Args, Arg{Key: f})
		}
	}
	return cmd, nil
}

// RunScript runs the script text (read from path), calling run for each command and
// comparing its output with the expected block; with -rewrite it does not compare. It
// returns the script with the actual outputs, for the caller to write back when
// Rewrite() is set. An error from run is printed as "error: ..." output, so scripts
// can show rejected commands too.
func RunScript(t *testing.T, path, text string, run func(Command) (string, error)) string {
	t.Helper()
	blocks, pre, err := parseScript(path, text)
	if err != nil {
		t.Fatal(err)
		return text
	}
	var out strings.Builder
	for i, b := range blocks {
		got, err := run(b.cmd)
		if err != nil {
			got = "error: " + err.Error()
		}
		got = strings.TrimRight(got, "\n")
		if got == "" {
			got = "ok"
		}
		got = strings.ReplaceAll(got, "\n\n", "\n.\n")
		for _, l := range pre[i] {
			out.WriteString(l + "\n")
		}
		fmt.Fprintf(&out, "%s\n----\n%s\n", b.line, got)
		if !*rewrite && got != b.expected {
			t.Errorf("%s: %s\n--- expected\n%s\n--- got\n%s", b.cmd.Pos, b.line, b.expected, got)
		}
	}
	for _, l := range pre[len(blocks)] {
		out.WriteString(l + "\n")
	}
	return strings.TrimRight(out.String(), "\n") + "\n"
}

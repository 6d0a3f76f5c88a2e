// Package logsim_test holds the architecture tests: the import direction of
// DESIGN.md/ARCHITECTURE.md, package documentation, and the determinism rules of the
// simulated core. They read the source tree; they never run the simulator.
package logsim_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "logsim"

// layers places every package of the module. A package may import packages of a lower
// layer, and packages below its own directory; nothing else in the module. Packages
// not listed inherit the layer of their nearest listed parent directory.
var layers = map[string]int{
	"broker/proto":      0,
	"checker/history":   0,
	"broker/node":       1,
	"broker/partition":  2,
	"broker/group":      2,
	"broker/controller": 2,
	"broker/client":     2,
	"sim":               2,
	"sim/simtest":       4,
	"checker":           2,
	"broker":            3,
	"faults":            3,
	"workloads":         3,
	"reports":           3,
	"scenarios":         4,
	"cmd":               5,
}

// forbidden lists imports that the layers alone would allow but the design forbids.
// sim/simtest is test support that wires brokers and clients onto the simulator for
// scripted interaction tests; only _test packages import it, so it is exempt.
var forbidden = map[string][]string{
	"broker":  {"sim", "faults", "workloads", "checker", "reports", "scenarios"},
	"sim":     {"broker"},
	"checker": {"broker", "sim"},
}

// contract lists the packages under a forbidden tree that are the shared contract rather
// than the system under test: the simulator implements node.Env and may speak proto.
// Only sim gets this exception; the checker stays a black box.
var contract = []string{"broker/node", "broker/proto"}

type goPackage struct {
	ImportPath string
	Dir        string
	Name       string
	Imports    []string
	GoFiles    []string
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	require.NoError(t, err, "go list")
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []goPackage
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// rel is the package path inside the module ("" for the root).
func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

func isContract(path string) bool {
	for _, c := range contract {
		if within(path, c) {
			return true
		}
	}
	return false
}

func layerOf(path string) (int, bool) {
	for p := path; p != "." && p != ""; p = filepath.Dir(p) {
		if l, ok := layers[p]; ok {
			return l, true
		}
	}
	return 0, false
}

func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		from := rel(p.ImportPath)
		if from == "" {
			continue // this test package
		}
		fromLayer, ok := layerOf(from)
		if !assertTrue(t, ok, "package %s has no layer: add it to layers in deps_test.go and to ARCHITECTURE.md", from) {
			continue
		}
		for _, imp := range p.Imports {
			if !within(imp, module) {
				continue
			}
			to := rel(imp)
			if within(to, "cmd") {
				t.Errorf("%s imports %s: nothing imports cmd", from, to)
				continue
			}
			for dir, bans := range forbidden {
				if !within(from, dir) || within(from, "sim/simtest") {
					continue
				}
				for _, ban := range bans {
					if within(to, ban) && !within(to, dir) && !(dir == "sim" && isContract(to)) {
						t.Errorf("%s imports %s: %s/** must never import %s", from, to, dir, ban)
					}
				}
			}
			toLayer, _ := layerOf(to)
			if toLayer >= fromLayer && !within(to, from) {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must go to lower layers", from, fromLayer, to, toLayer)
			}
		}
	}
}

func TestEveryPackageHasDoc(t *testing.T) {
	for _, p := range listPackages(t) {
		if rel(p.ImportPath) == "" || len(p.GoFiles) == 0 {
			continue
		}
		fset := token.NewFileSet()
		documented := false
		for _, f := range p.GoFiles {
			file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			require.NoError(t, err)
			if file.Doc != nil && strings.TrimSpace(file.Doc.Text()) != "" {
				documented = true
			}
		}
		assertTrue(t, documented, "package %s has no package doc comment (put one in doc.go)", p.ImportPath)
	}
}

// deterministicCore reports whether a package must follow the determinism rules.
func deterministicCore(path string) bool {
	return (within(path, "broker") && !within(path, "broker/live")) || within(path, "sim")
}

var bannedImports = map[string]string{
	"os":          "the simulated core has no files or processes: use Env.Disk",
	"net":         "the simulated core has no sockets: use Env.Send",
	"sync":        "the simulated core is single-threaded",
	"sync/atomic": "the simulated core is single-threaded",
	"math/rand":   "use the node's seeded stream, Env.Rand (math/rand/v2)",
	"crypto/rand": "use the node's seeded stream, Env.Rand",
	"runtime":     "scheduler and GC state must not reach the simulation",
}

var bannedCalls = map[string]map[string]bool{
	"time": {"Now": true, "Sleep": true, "After": true, "AfterFunc": true, "NewTimer": true,
		"NewTicker": true, "Tick": true, "Since": true, "Until": true},
	"math/rand/v2": {"Int": true, "IntN": true, "Int32": true, "Int32N": true, "Int64": true,
		"Int64N": true, "Uint32": true, "Uint32N": true, "Uint64": true, "Uint64N": true, "Uint": true,
		"UintN": true, "Float32": true, "Float64": true, "ExpFloat64": true, "NormFloat64": true,
		"Perm": true, "Shuffle": true, "N": true},
}

// TestDeterministicCore walks the non-test sources of broker/** and sim and rejects the
// usual leaks of nondeterminism: goroutines, channels, select, the wall clock, global
// randomness, and imports that reach the operating system.
func TestDeterministicCore(t *testing.T) {
	for _, p := range listPackages(t) {
		path := rel(p.ImportPath)
		if !deterministicCore(path) {
			continue
		}
		for _, f := range p.GoFiles {
			name := filepath.Join(p.Dir, f)
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, name, nil, 0)
			require.NoError(t, err)
			imported := map[string]string{} // local name -> import path
			for _, imp := range file.Imports {
				ip, _ := strconv.Unquote(imp.Path.Value)
				if why, bad := bannedImports[ip]; bad {
					t.Errorf("%s imports %q: %s", fset.Position(imp.Pos()), ip, why)
				}
				local := filepath.Base(ip)
				if ip == "math/rand/v2" {
					local = "rand"
				}
				if imp.Name != nil {
					local = imp.Name.Name
				}
				imported[local] = ip
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					t.Errorf("%s: go statement in the simulated core", fset.Position(n.Pos()))
				case *ast.SelectStmt:
					t.Errorf("%s: select in the simulated core", fset.Position(n.Pos()))
				case *ast.ChanType:
					t.Errorf("%s: channel in the simulated core", fset.Position(n.Pos()))
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok {
						if calls := bannedCalls[imported[id.Name]]; calls[n.Sel.Name] {
							t.Errorf("%s: %s.%s in the simulated core: time and randomness come from Env",
								fset.Position(n.Pos()), id.Name, n.Sel.Name)
						}
					}
				}
				return true
			})
		}
	}
}

// TestLayersAreDocumented keeps ARCHITECTURE.md's code map in step with the layer table.
func TestLayersAreDocumented(t *testing.T) {
	out, err := os.ReadFile("ARCHITECTURE.md")
	require.NoError(t, err)
	var missing []string
	for p := range layers {
		if !strings.Contains(string(out), "`"+p+"`") && !strings.Contains(string(out), "`"+p+"/`") {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "packages missing from ARCHITECTURE.md's code map")
}

func assertTrue(t *testing.T, ok bool, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}

package workloads

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"logsim/sim"
)

// KeysSyntax lists the accepted forms of a key distribution.
const KeysSyntax = "none | uniform(N) | zipf(N, S) with S > 0 | round-robin(N)"

type keysKind uint8

const (
	keysNone keysKind = iota
	keysUniform
	keysZipf
	keysRoundRobin
)

// Keys says how a producer picks record keys: none (null keys, so the partitioner
// spreads records itself), uniformly over N keys, Zipf-distributed over N keys with
// exponent S (key 0 the most frequent), or cycling through N keys. The zero Keys is none.
type Keys struct {
	kind keysKind
	n    int64
	s    float64
}

// ParseKeys reads a key distribution in one of the forms of KeysSyntax.
func ParseKeys(s string) (Keys, error) {
	k, err := parseKeys(s)
	if err != nil {
		return Keys{}, fmt.Errorf("%v; accepted: %s", err, KeysSyntax)
	}
	return k, nil
}

func parseKeys(s string) (Keys, error) {
	if strings.TrimSpace(s) == "none" {
		return Keys{}, nil
	}
	name, args, isCall, err := call(s)
	if err != nil {
		return Keys{}, err
	}
	if !isCall {
		return Keys{}, fmt.Errorf("unknown key distribution %q", s)
	}
	kinds := map[string]keysKind{"uniform": keysUniform, "zipf": keysZipf, "round-robin": keysRoundRobin}
	kind, ok := kinds[name]
	if !ok {
		return Keys{}, fmt.Errorf("unknown key distribution %q", name)
	}
	want := 1
	if kind == keysZipf {
		want = 2
	}
	if len(args) != want {
		return Keys{}, fmt.Errorf("%s takes %d argument(s)", name, want)
	}
	n, err := parseCount(args[0])
	if err != nil {
		return Keys{}, err
	}
	if n < 1 || n != math.Trunc(n) || n > 1<<40 {
		return Keys{}, fmt.Errorf("%s: N must be a whole number of keys from 1 to 2^40, got %s", name, args[0])
	}
	k := Keys{kind: kind, n: int64(n)}
	if kind == keysZipf {
		if k.s, err = parseFloat(args[1], "the Zipf exponent S, such as 0.99 or 1.2"); err != nil {
			return Keys{}, err
		}
		if k.s <= 0 || k.s > 100 {
			return Keys{}, fmt.Errorf("zipf: the exponent S must be in (0, 100], got %v", k.s)
		}
	}
	return k, nil
}

// String prints the canonical form, which ParseKeys reads back to the same value.
func (k Keys) String() string {
	switch k.kind {
	case keysUniform:
		return fmt.Sprintf("uniform(%d)", k.n)
	case keysZipf:
		return fmt.Sprintf("zipf(%d, %s)", k.n, formatCount(k.s))
	case keysRoundRobin:
		return fmt.Sprintf("round-robin(%d)", k.n)
	}
	return "none"
}

// MarshalText prints the canonical form.
func (k Keys) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses one of the forms of KeysSyntax.
func (k *Keys) UnmarshalText(b []byte) error {
	v, err := ParseKeys(string(b))
	if err == nil {
		*k = v
	}
	return err
}

// None reports whether records carry no key.
func (k Keys) None() bool { return k.kind == keysNone }

// Count is the number of distinct keys (0 for none).
func (k Keys) Count() int64 { return k.n }

// KeyChooser draws keys for one producer instance. Next never allocates.
type KeyChooser struct {
	k    Keys
	rng  *rand.Rand
	next int64 // round-robin position
	z    zipf
}

// Chooser returns a generator of keys drawn from rng. instance offsets round-robin
// keys so that several producers sharing a distribution do not move in lockstep.
func (k Keys) Chooser(rng *rand.Rand, instance int) *KeyChooser {
	c := &KeyChooser{k: k, rng: rng}
	switch k.kind {
	case keysRoundRobin:
		c.next = int64(instance) % k.n
	case keysZipf:
		c.z = newZipf(k.s, k.n)
	}
	return c
}

// Next returns the next key in [0, N), or -1 for no key.
func (c *KeyChooser) Next() int64 {
	switch c.k.kind {
	case keysUniform:
		return c.rng.Int64N(c.k.n)
	case keysZipf:
		return c.z.sample(c.rng) - 1
	case keysRoundRobin:
		v := c.next
		c.next++
		if c.next == c.k.n {
			c.next = 0
		}
		return v
	}
	return -1
}

// zipf samples ranks 1..n with P(k) proportional to k^-s, for any s > 0, by Hörmann and
// Derflinger's rejection-inversion method ("Rejection-inversion to generate variates
// from monotone discrete distributions", 1996): constant time per draw, no table, so N
// can be large. math/rand/v2's Zipf needs s > 1; key popularity is often modelled with
// s just below 1 (YCSB uses 0.99).
type zipf struct {
	s, n          float64
	hIntegralX1   float64
	hIntegralN    float64
	squeezeFactor float64
}

func newZipf(s float64, n int64) zipf {
	z := zipf{s: s, n: float64(n)}
	z.hIntegralX1 = z.hIntegral(1.5) - 1
	z.hIntegralN = z.hIntegral(z.n + 0.5)
	z.squeezeFactor = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z
}

func (z *zipf) sample(r *rand.Rand) int64 {
	for {
		u := z.hIntegralN + r.Float64()*(z.hIntegralX1-z.hIntegralN)
		x := z.hIntegralInverse(u)
		k := math.Floor(x + 0.5)
		if k < 1 {
			k = 1
		} else if k > z.n {
			k = z.n
		}
		if k-x <= z.squeezeFactor || u >= z.hIntegral(k+0.5)-z.h(k) {
			return int64(k)
		}
	}
}

// h is the unnormalized density x^-s.
func (z *zipf) h(x float64) float64 { return sim.Exp(-z.s * sim.Ln(x)) }

// hIntegral is an antiderivative of h: (x^(1-s) - 1) / (1-s), and log(x) at s = 1.
func (z *zipf) hIntegral(x float64) float64 {
	lx := sim.Ln(x)
	return expm1Over((1-z.s)*lx) * lx
}

// hIntegralInverse inverts hIntegral.
func (z *zipf) hIntegralInverse(x float64) float64 {
	t := x * (1 - z.s)
	if t < -1 {
		t = -1 // rounding can push t just below the domain of log1p
	}
	return sim.Exp(log1pOver(t) * x)
}

// expm1Over is (e^x - 1)/x, continuous at 0. (math.Expm1 and math.Log1p are pure Go
// on every platform, unlike math.Exp and math.Log, so they give the same bits
// everywhere; the rest goes through sim's portable functions.)
func expm1Over(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x/2*(1+x/3*(1+x/4))
}

// log1pOver is log(1+x)/x, continuous at 0.
func log1pOver(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-0.25*x))
}

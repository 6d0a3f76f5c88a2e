package workloads

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"logsim/sim"
)

// SizeSyntax lists the accepted forms of a message size distribution.
const SizeSyntax = "SIZE (fixed, such as 1KiB or 100) | uniform(MIN, MAX) | exponential(MEAN[, MAX]) | " +
	"lognormal(MEDIAN, SIGMA[, MAX]); sizes take B, KB, MB, KiB, MiB; MAX defaults to 1MiB"

// DelaySyntax lists the accepted forms of a duration distribution (processing times).
const DelaySyntax = "DURATION (fixed, such as 200us) | uniform(MIN, MAX) | exponential(MEAN[, MAX]) | " +
	"lognormal(MEDIAN, SIGMA[, MAX])"

type distKind uint8

const (
	distFixed distKind = iota
	distUniform
	distExponential
	distLognormal
)

// dist is a distribution over non-negative numbers: fixed a; uniform over [a, b];
// exponential with mean a; lognormal with median a and shape b. max caps draws of the
// unbounded kinds (0: no cap).
type dist struct {
	kind distKind
	a, b float64
	max  float64
}

// sample draws one value; integer rounds it to whole units (bytes).
func (d dist) sample(r *rand.Rand, integer bool) float64 {
	var v float64
	switch d.kind {
	case distFixed:
		return d.a
	case distUniform:
		if integer {
			return d.a + float64(r.Int64N(int64(d.b-d.a)+1))
		}
		v = d.a + r.Float64()*(d.b-d.a)
	case distExponential:
		v = sim.ExpFloat64(r) * d.a
	case distLognormal:
		v = d.a * sim.Exp(d.b*sim.NormFloat64(r))
	}
	if d.max > 0 && v > d.max {
		v = d.max
	}
	if integer {
		v = math.Round(v)
	}
	return v
}

// upper is the largest value a draw can take (+Inf when uncapped).
func (d dist) upper() float64 {
	switch d.kind {
	case distFixed:
		return d.a
	case distUniform:
		return d.b
	}
	if d.max > 0 {
		return d.max
	}
	return math.Inf(1)
}

// mean is the expected draw, ignoring the cap.
func (d dist) mean() float64 {
	switch d.kind {
	case distUniform:
		return (d.a + d.b) / 2
	case distLognormal:
		return d.a * sim.Exp(d.b*d.b/2)
	}
	return d.a
}

// parseDist reads the forms shared by sizes and delays; unit parses one quantity.
func parseDist(s string, unit func(string) (float64, error), defMax float64, syntax string) (dist, error) {
	name, args, isCall, err := call(s)
	if err != nil {
		return dist{}, fmt.Errorf("%v; accepted: %s", err, syntax)
	}
	fail := func(format string, a ...any) (dist, error) {
		return dist{}, fmt.Errorf(format+"; accepted: %s", append(a, syntax)...)
	}
	if !isCall {
		v, err := unit(s)
		if err != nil {
			return fail("%v", err)
		}
		return dist{kind: distFixed, a: v}, nil
	}
	q := make([]float64, len(args))
	switch name {
	case "uniform":
		if len(args) != 2 {
			return fail("uniform takes MIN and MAX")
		}
	case "exponential":
		if len(args) < 1 || len(args) > 2 {
			return fail("exponential takes MEAN and an optional MAX")
		}
	case "lognormal":
		if len(args) < 2 || len(args) > 3 {
			return fail("lognormal takes MEDIAN, SIGMA and an optional MAX")
		}
	default:
		return fail("unknown distribution %q", name)
	}
	for i, a := range args {
		if name == "lognormal" && i == 1 {
			v, err := parseFloat(a, "SIGMA, the shape, such as 0.5")
			if err != nil {
				return fail("%v", err)
			}
			if v < 0 || v > 10 {
				return fail("lognormal SIGMA must be in [0, 10], got %v", v)
			}
			q[i] = v
			continue
		}
		v, err := unit(a)
		if err != nil {
			return fail("%s: %v", name, err)
		}
		q[i] = v
	}
	switch name {
	case "uniform":
		if q[0] > q[1] {
			return fail("uniform: MIN %s is above MAX %s", args[0], args[1])
		}
		return dist{kind: distUniform, a: q[0], b: q[1]}, nil
	case "exponential":
		d := dist{kind: distExponential, a: q[0], max: defMax}
		if len(q) == 2 {
			d.max = q[1]
		}
		if d.a <= 0 || (len(q) == 2 && d.max < d.a) {
			return fail("exponential: MEAN must be positive and MAX at least MEAN")
		}
		return d, nil
	default:
		d := dist{kind: distLognormal, a: q[0], b: q[1], max: defMax}
		if len(q) == 3 {
			d.max = q[2]
		}
		if d.a <= 0 || (len(q) == 3 && d.max < d.a) {
			return fail("lognormal: MEDIAN must be positive and MAX at least MEDIAN")
		}
		return d, nil
	}
}

func (d dist) format(unit func(float64) string) string {
	withMax := func(s string) string {
		if d.max > 0 {
			return s + ", " + unit(d.max) + ")"
		}
		return s + ")"
	}
	switch d.kind {
	case distUniform:
		return "uniform(" + unit(d.a) + ", " + unit(d.b) + ")"
	case distExponential:
		return withMax("exponential(" + unit(d.a))
	case distLognormal:
		return withMax("lognormal(" + unit(d.a) + ", " + formatCount(d.b))
	}
	return unit(d.a)
}

// defaultMaxSize caps exponential and lognormal message sizes unless the scenario says
// otherwise: Kafka's default max.request.size (1048576).
const defaultMaxSize = 1 << 20

// Size is a distribution of message value sizes in bytes. The zero Size is a fixed 0.
type Size struct{ d dist }

// FixedSize is a constant size of n bytes.
func FixedSize(n int64) Size { return Size{dist{kind: distFixed, a: float64(n)}} }

// ParseSize reads a size distribution in one of the forms of SizeSyntax.
func ParseSize(s string) (Size, error) {
	unit := func(t string) (float64, error) {
		n, err := ParseBytes(t)
		return float64(n), err
	}
	d, err := parseDist(s, unit, defaultMaxSize, SizeSyntax)
	return Size{d}, err
}

// String prints the canonical form, which ParseSize reads back to the same value.
func (s Size) String() string {
	return s.d.format(func(v float64) string { return FormatBytes(int64(v)) })
}

// MarshalText prints the canonical form.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses one of the forms of SizeSyntax.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err == nil {
		*s = v
	}
	return err
}

// Sample draws one size in bytes.
func (s Size) Sample(r *rand.Rand) int { return int(s.d.sample(r, true)) }

// Max is the largest size a draw can take, in bytes.
func (s Size) Max() int64 { return int64(s.d.upper()) }

// Mean is the expected size in bytes (before the cap).
func (s Size) Mean() float64 { return s.d.mean() }

// Delay is a distribution of durations, such as a consumer's processing time per
// record. The zero Delay is a fixed 0.
type Delay struct{ d dist }

// FixedDelay is a constant duration.
func FixedDelay(d time.Duration) Delay { return Delay{dist{kind: distFixed, a: float64(d)}} }

// ParseDelay reads a duration distribution in one of the forms of DelaySyntax.
func ParseDelay(s string) (Delay, error) {
	unit := func(t string) (float64, error) {
		d, err := parseDuration(t)
		if err == nil && d < 0 {
			err = fmt.Errorf("%q is negative", t)
		}
		return float64(d), err
	}
	d, err := parseDist(s, unit, 0, DelaySyntax)
	return Delay{d}, err
}

// String prints the canonical form, which ParseDelay reads back to the same value.
func (d Delay) String() string {
	return d.d.format(func(v float64) string { return time.Duration(v).String() })
}

// MarshalText prints the canonical form.
func (d Delay) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses one of the forms of DelaySyntax.
func (d *Delay) UnmarshalText(b []byte) error {
	v, err := ParseDelay(string(b))
	if err == nil {
		*d = v
	}
	return err
}

// Sample draws one duration.
func (d Delay) Sample(r *rand.Rand) time.Duration {
	v := d.d.sample(r, false)
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(v)
}

// Mean is the expected duration (before the cap).
func (d Delay) Mean() time.Duration { return time.Duration(d.d.mean()) }

// IsZero reports whether every draw is 0.
func (d Delay) IsZero() bool { return d.d.kind == distFixed && d.d.a == 0 }

package workloads

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"logsim/sim"
)

// RateSyntax lists the accepted forms of a producer rate, for documentation and errors.
const RateSyntax = "N/s (also /ms, /min, /h; N may be 1.5k or 2M) | poisson(RATE) | " +
	"steps(N/s, N/s@T, ...) | ramp(FROM, TO, OVER) | bursts(BASE, PEAK, EVERY, LENGTH) | closed-loop"

type rateKind uint8

const (
	rateConstant rateKind = iota
	rateSteps
	rateRamp
	rateBursts
	rateClosedLoop
)

// step is one level of a steps(...) schedule: perSec records per second from at on.
type step struct {
	at     time.Duration
	perSec float64
}

// Rate is a producer's load: an open-loop schedule of intended send times (constant,
// steps, a linear ramp, periodic bursts; evenly spaced, or Poisson arrivals with the
// same rate function), or closed loop (send as fast as the client accepts). The zero
// Rate is a constant 0/s. Its text form is RateSyntax; String prints the canonical form.
type Rate struct {
	kind    rateKind
	poisson bool
	// a: the constant rate, the ramp's start, or the bursts' base; b: the ramp's end or
	// the bursts' peak (records per second).
	a, b float64
	// over: the ramp's length; every and length: the bursts' period and duration.
	over, every, length time.Duration
	steps               []step
}

// ClosedLoopRate is the closed-loop marker: each producer sends its next record as soon
// as the client accepts it (bounded by buffer.memory and max.in.flight).
func ClosedLoopRate() Rate { return Rate{kind: rateClosedLoop} }

// ConstantRate is perSec records per second, evenly spaced.
func ConstantRate(perSec float64) Rate { return Rate{kind: rateConstant, a: perSec} }

// ParseRate reads a rate in one of the forms of RateSyntax.
func ParseRate(s string) (Rate, error) {
	r, err := parseRate(s, true)
	if err != nil {
		return Rate{}, fmt.Errorf("%v; accepted: %s", err, RateSyntax)
	}
	return r, nil
}

func parseRate(s string, top bool) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "closed-loop" {
		if !top {
			return Rate{}, fmt.Errorf("closed-loop cannot be nested")
		}
		return ClosedLoopRate(), nil
	}
	name, args, isCall, err := call(s)
	if err != nil {
		return Rate{}, err
	}
	if !isCall {
		v, err := parsePerSec(s)
		return Rate{kind: rateConstant, a: v}, err
	}
	switch name {
	case "poisson":
		if err := wantArgs(name, args, 1, 1, "one rate: poisson(2000/s) or poisson(steps(...))"); err != nil {
			return Rate{}, err
		}
		if !top {
			return Rate{}, fmt.Errorf("poisson(...) cannot be nested")
		}
		inner, err := parseRate(args[0], false)
		if err != nil {
			return Rate{}, err
		}
		inner.poisson = true
		return inner, nil
	case "steps":
		if len(args) == 0 {
			return Rate{}, fmt.Errorf("steps takes one or more RATE@TIME levels: steps(1000/s, 5000/s@10s)")
		}
		r := Rate{kind: rateSteps}
		for i, a := range args {
			at := time.Duration(0)
			rate := a
			if k := strings.LastIndexByte(a, '@'); k >= 0 {
				rate = a[:k]
				if at, err = parseDuration(a[k+1:]); err != nil {
					return Rate{}, fmt.Errorf("steps: %v", err)
				}
			} else if i > 0 {
				return Rate{}, fmt.Errorf("steps: level %q needs a start time, such as %s@10s", a, a)
			}
			v, err := parsePerSec(rate)
			if err != nil {
				return Rate{}, fmt.Errorf("steps: %v", err)
			}
			if at < 0 || (i > 0 && at <= r.steps[i-1].at) {
				return Rate{}, fmt.Errorf("steps: start times must increase from 0s (got %v after %v)", at, r.steps[max(i-1, 0)].at)
			}
			r.steps = append(r.steps, step{at: at, perSec: v})
		}
		return r, nil
	case "ramp":
		if err := wantArgs(name, args, 3, 3, "three arguments: ramp(FROM, TO, OVER) such as ramp(0/s, 10000/s, 30s)"); err != nil {
			return Rate{}, err
		}
		from, err := parsePerSec(args[0])
		if err != nil {
			return Rate{}, fmt.Errorf("ramp: %v", err)
		}
		to, err := parsePerSec(args[1])
		if err != nil {
			return Rate{}, fmt.Errorf("ramp: %v", err)
		}
		over, err := parseDuration(args[2])
		if err != nil || over <= 0 {
			return Rate{}, fmt.Errorf("ramp: the length must be a positive duration, got %q", args[2])
		}
		return Rate{kind: rateRamp, a: from, b: to, over: over}, nil
	case "bursts":
		if err := wantArgs(name, args, 4, 4, "four arguments: bursts(BASE, PEAK, EVERY, LENGTH) such as bursts(1000/s, 20000/s, 10s, 1s)"); err != nil {
			return Rate{}, err
		}
		base, err := parsePerSec(args[0])
		if err != nil {
			return Rate{}, fmt.Errorf("bursts: %v", err)
		}
		peak, err := parsePerSec(args[1])
		if err != nil {
			return Rate{}, fmt.Errorf("bursts: %v", err)
		}
		every, err1 := parseDuration(args[2])
		length, err2 := parseDuration(args[3])
		if err1 != nil || err2 != nil || every <= 0 || length <= 0 || length >= every {
			return Rate{}, fmt.Errorf("bursts: EVERY and LENGTH must be positive durations with LENGTH < EVERY, got %q and %q", args[2], args[3])
		}
		return Rate{kind: rateBursts, a: base, b: peak, every: every, length: length}, nil
	}
	return Rate{}, fmt.Errorf("unknown rate form %q", name)
}

// rateUnits maps a rate's time unit to seconds.
var rateUnits = map[string]float64{"s": 1, "ms": 1e-3, "us": 1e-6, "min": 60, "h": 3600}

// parsePerSec reads "2000/s" (or /ms, /us, /min, /h) as records per second.
func parsePerSec(s string) (float64, error) {
	s = strings.TrimSpace(s)
	k := strings.LastIndexByte(s, '/')
	if k < 0 {
		return 0, fmt.Errorf("%q needs a time unit, such as %s/s", s, s)
	}
	n, err := parseCount(s[:k])
	if err != nil {
		return 0, err
	}
	unit, ok := rateUnits[strings.TrimSpace(s[k+1:])]
	if !ok {
		return 0, fmt.Errorf("%q: unknown time unit %q (accepted: /s, /ms, /us, /min, /h)", s, s[k+1:])
	}
	return n / unit, nil
}

func formatPerSec(v float64) string { return formatCount(v) + "/s" }

// String prints the rate in its canonical form, which ParseRate reads back to the same
// value.
func (r Rate) String() string {
	var s string
	switch r.kind {
	case rateClosedLoop:
		return "closed-loop"
	case rateConstant:
		s = formatPerSec(r.a)
	case rateSteps:
		parts := make([]string, len(r.steps))
		for i, st := range r.steps {
			parts[i] = formatPerSec(st.perSec) + "@" + st.at.String()
		}
		s = "steps(" + strings.Join(parts, ", ") + ")"
	case rateRamp:
		s = fmt.Sprintf("ramp(%s, %s, %v)", formatPerSec(r.a), formatPerSec(r.b), r.over)
	case rateBursts:
		s = fmt.Sprintf("bursts(%s, %s, %v, %v)", formatPerSec(r.a), formatPerSec(r.b), r.every, r.length)
	}
	if r.poisson {
		return "poisson(" + s + ")"
	}
	return s
}

// MarshalText prints the canonical form.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses one of the forms of RateSyntax.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ClosedLoop reports whether the rate is the closed-loop marker; such a producer has no
// intended send times.
func (r Rate) ClosedLoop() bool { return r.kind == rateClosedLoop }

// Poisson reports whether arrivals are a Poisson process rather than evenly spaced.
func (r Rate) Poisson() bool { return r.poisson }

// Split returns the share of one of n producer instances that together carry r: every
// level divided by n. A closed-loop rate is returned unchanged.
func (r Rate) Split(n int) Rate {
	if n <= 0 {
		panic(fmt.Sprintf("workloads: Rate.Split(%d): need at least one instance", n))
	}
	if r.kind == rateClosedLoop {
		return r
	}
	f := float64(n)
	out := r
	out.a, out.b = r.a/f, r.b/f
	if r.steps != nil {
		out.steps = make([]step, len(r.steps))
		for i, st := range r.steps {
			out.steps[i] = step{at: st.at, perSec: st.perSec / f}
		}
	}
	return out
}

// piece is a stretch of the rate function, linear from r0 to r1 records per second over
// dur seconds (dur may be +Inf for the last piece).
type piece struct{ dur, r0, r1 float64 }

// area is the expected number of records in the whole piece.
func (p piece) area() float64 {
	if math.IsInf(p.dur, 1) {
		if p.r1 == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return (p.r0 + p.r1) / 2 * p.dur
}

// areaTo is the expected number of records in the first x seconds of the piece.
func (p piece) areaTo(x float64) float64 {
	if p.r0 == p.r1 {
		return p.r0 * x
	}
	k := (p.r1 - p.r0) / p.dur
	return p.r0*x + k/2*x*x
}

// solve finds x with areaTo(x) = amount (0 < amount <= area()).
func (p piece) solve(amount float64) float64 {
	if p.r0 == p.r1 {
		return amount / p.r0
	}
	k := (p.r1 - p.r0) / p.dur
	d := p.r0*p.r0 + 2*k*amount
	if d < 0 {
		d = 0
	}
	// The rationalized root stays accurate when k is small or negative.
	return 2 * amount / (p.r0 + math.Sqrt(d))
}

// pieces lays the rate function out as a finite prefix followed by a cycle repeated
// forever (bursts), or a prefix whose last piece is infinite.
func (r Rate) pieces() (prefix, cycle []piece) {
	inf := math.Inf(1)
	switch r.kind {
	case rateConstant:
		return []piece{{inf, r.a, r.a}}, nil
	case rateSteps:
		if r.steps[0].at > 0 {
			prefix = append(prefix, piece{r.steps[0].at.Seconds(), 0, 0})
		}
		for i, st := range r.steps {
			dur := inf
			if i+1 < len(r.steps) {
				dur = (r.steps[i+1].at - st.at).Seconds()
			}
			prefix = append(prefix, piece{dur, st.perSec, st.perSec})
		}
		return prefix, nil
	case rateRamp:
		return []piece{{r.over.Seconds(), r.a, r.b}, {inf, r.b, r.b}}, nil
	case rateBursts:
		return []piece{{r.every.Seconds(), r.a, r.a}},
			[]piece{{r.length.Seconds(), r.b, r.b}, {(r.every - r.length).Seconds(), r.a, r.a}}
	}
	panic(fmt.Sprintf("workloads: pieces of rate kind %d", r.kind))
}

// Expected is the expected number of records sent in the first d of the run.
func (r Rate) Expected(d time.Duration) float64 {
	if r.kind == rateClosedLoop {
		return math.Inf(1)
	}
	prefix, cycle := r.pieces()
	t, total := d.Seconds(), 0.0
	for _, p := range prefix {
		if t <= p.dur {
			return total + p.areaTo(t)
		}
		total += p.area()
		t -= p.dur
	}
	period, cycleArea := 0.0, 0.0
	for _, p := range cycle {
		period += p.dur
		cycleArea += p.area()
	}
	n := math.Floor(t / period)
	total += n * cycleArea
	t -= n * period
	for _, p := range cycle {
		if t <= p.dur {
			return total + p.areaTo(t)
		}
		total += p.area()
		t -= p.dur
	}
	return total
}

// Arrivals generates the intended send times of one producer instance. Create it with
// Rate.Arrivals; Next never allocates.
type Arrivals struct {
	prefix, cycle []piece
	idx           int  // current piece in prefix or cycle
	inCycle       bool // idx indexes cycle
	start         float64
	cumStart      float64 // expected records before the current piece
	target        float64 // cumulative count at which the next record is due
	poisson       bool
	rng           *rand.Rand
	done          bool
}

// Arrivals returns a generator of intended send times drawn from rng. phase, in (0, 1],
// staggers evenly spaced schedules: instance i of n producers sharing a rate should use
// (i+1)/n so that together they are evenly spaced; Poisson arrivals ignore it. It panics
// for a closed-loop rate, which has no send times.
func (r Rate) Arrivals(rng *rand.Rand, phase float64) *Arrivals {
	if r.kind == rateClosedLoop {
		panic("workloads: Arrivals of a closed-loop rate")
	}
	if !(phase > 0 && phase <= 1) {
		panic(fmt.Sprintf("workloads: Arrivals phase %v outside (0, 1]", phase))
	}
	prefix, cycle := r.pieces()
	return &Arrivals{prefix: prefix, cycle: cycle, poisson: r.poisson, rng: rng, target: phase - 1}
}

// Next returns the next intended send time since the start of the run, or false when the
// rate stays at zero forever.
func (a *Arrivals) Next() (time.Duration, bool) {
	if a.done {
		return 0, false
	}
	if a.poisson {
		a.target += sim.ExpFloat64(a.rng)
	} else {
		a.target++
	}
	for {
		var p piece
		if a.inCycle {
			p = a.cycle[a.idx]
		} else {
			p = a.prefix[a.idx]
		}
		area := p.area()
		if a.cumStart+area >= a.target {
			ns := math.Round((a.start + p.solve(a.target-a.cumStart)) * 1e9)
			if ns >= math.MaxInt64 {
				// Beyond the range of time.Duration (292 years): no more sends.
				a.done = true
				return 0, false
			}
			return time.Duration(ns), true
		}
		if math.IsInf(p.dur, 1) {
			a.done = true
			return 0, false
		}
		a.cumStart += area
		a.start += p.dur
		a.idx++
		if !a.inCycle && a.idx == len(a.prefix) {
			if len(a.cycle) == 0 || cycleArea(a.cycle) == 0 {
				a.done = true
				return 0, false
			}
			a.inCycle, a.idx = true, 0
		} else if a.inCycle && a.idx == len(a.cycle) {
			a.idx = 0
		}
	}
}

func cycleArea(c []piece) float64 {
	s := 0.0
	for _, p := range c {
		s += p.area()
	}
	return s
}

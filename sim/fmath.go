package sim

import "math"

// Portable elementary functions. Same seed, same run "on any machine" includes the
// floating-point results that decide latencies, gaps and sizes, but math.Exp (and with
// it math.Pow) has an amd64 assembly version whose last bit depends on whether the CPU
// has FMA. These use only +, -, *, / rounded one at a time (the float64 conversions
// forbid fused multiply-adds) plus exact operations (Frexp, Ldexp, Floor), so they give
// the same bits everywhere. They are accurate to a few ulps, which is all a workload
// generator needs.

// Ln is the natural logarithm of x. It returns NaN for x < 0 or NaN, -Inf for 0 and
// +Inf for +Inf.
func Ln(x float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return x
	}
	return ln(x)
}

// Exp is e to the power x.
func Exp(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case x > 709.782712893384:
		return math.Inf(1)
	case x < -745.1332191019412:
		return 0
	}
	// x = k·ln2 + r with |r| <= ln2/2, so e^x = 2^k · e^r; ln2 is split in two so
	// that k·ln2Hi is exact.
	const ln2Hi, ln2Lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	k := math.Floor(float64(x/math.Ln2) + 0.5)
	r := float64(float64(x-float64(k*ln2Hi)) - float64(k*ln2Lo))
	// e^r by its Taylor series: |r| < 0.347, so 20 terms are far past float64 precision.
	sum, term := 1.0, 1.0
	for n := 1.0; n <= 20; n++ {
		term = float64(float64(term*r) / n)
		sum = float64(sum + term)
	}
	return math.Ldexp(sum, int(k))
}

// Pow is x to the power y for x > 0 (y any); for x <= 0 it defers to math.Pow, whose
// special cases are exact.
func Pow(x, y float64) float64 {
	if x <= 0 || math.IsInf(x, 0) || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(y, 0) {
		return math.Pow(x, y)
	}
	return Exp(float64(y * ln(x)))
}

// NormFloat64 returns a standard normal number (mean 0, deviation 1) drawn from r by
// the Box-Muller transform, the same on every machine (rand.NormFloat64 uses math.Exp
// and math.Log).
func NormFloat64(r interface{ Float64() float64 }) float64 {
	u1 := 1 - r.Float64() // (0, 1]
	u2 := r.Float64()
	return float64(math.Sqrt(float64(-2*ln(u1)))) * math.Cos(float64(2*math.Pi*u2))
}

package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPortableMathMatchesTheLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		x := (r.Float64() - 0.5) * 1400
		assert.InEpsilon(t, math.Exp(x), Exp(x), 1e-14, "Exp(%v)", x)
		y := 2 + r.Float64()*1e6 // away from 1, where ln is 0 and a relative error undefined
		assert.InEpsilon(t, math.Log(y), Ln(y), 1e-13, "Ln(%v)", y)
		b, e := r.Float64()*100, (r.Float64()-0.5)*10
		assert.InEpsilon(t, math.Pow(b, e), Pow(b, e), 1e-12, "Pow(%v, %v)", b, e)
	}
	assert.Equal(t, 1.0, Exp(0))
	assert.True(t, math.IsInf(Exp(1000), 1))
	assert.Equal(t, 0.0, Exp(-1000))
	assert.True(t, math.IsNaN(Ln(-1)))
	assert.True(t, math.IsInf(Ln(0), -1))
}

func TestNormFloat64Moments(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 200000
	var sum, sq float64
	for i := 0; i < n; i++ {
		v := NormFloat64(r)
		sum += v
		sq += v * v
	}
	mean := sum / n
	assert.InDelta(t, 0, mean, 0.01)
	assert.InDelta(t, 1, sq/n-mean*mean, 0.01)
}

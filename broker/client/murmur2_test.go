package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The expected values are those Kafka's own Utils.murmur2 returns for these inputs.
func TestMurmur2MatchesKafka(t *testing.T) {
	tests := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range tests {
		assert.Equal(t, want, Murmur2([]byte(in)), "murmur2(%q)", in)
	}
	assert.Equal(t, int32(0x7fffffff&479470107%3), KeyPartition("abc", 3))
}

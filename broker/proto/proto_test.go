package proto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorCatalogue(t *testing.T) {
	assert.Equal(t, "NOT_LEADER_OR_FOLLOWER", NOT_LEADER_OR_FOLLOWER.String())
	assert.True(t, NOT_ENOUGH_REPLICAS_AFTER_APPEND.Retriable())
	assert.False(t, OUT_OF_ORDER_SEQUENCE_NUMBER.Retriable())
	assert.Equal(t, "ERROR_999", ErrorCode(999).String())
	codes := ErrorCodes()
	for i, c := range codes {
		if i > 0 {
			assert.Less(t, codes[i-1], c)
		}
		back, ok := ErrorCodeByName(c.String())
		require.True(t, ok, c.String())
		assert.Equal(t, c, back)
	}
}

func TestTopicPartition(t *testing.T) {
	tp, err := ParseTopicPartition("orders/3")
	require.NoError(t, err)
	assert.Equal(t, TopicPartition{"orders", 3}, tp)
	assert.Equal(t, "orders/3", tp.String())
	for _, bad := range []string{"orders", "/3", "orders/x", "orders/-1"} {
		_, err := ParseTopicPartition(bad)
		assert.Error(t, err, bad)
	}
	a, _ := ParseAcks("all")
	assert.Equal(t, AcksAll, a)
	_, err = ParseAcks("2")
	assert.Error(t, err)
	c, err := ParseCompression("zstd")
	require.NoError(t, err)
	assert.Equal(t, "zstd", c.String())
}

func TestBatchChecksums(t *testing.T) {
	b := &RecordBatch{ProducerID: NoProducerID, SizeBytes: 100}
	b.SetRecords([]Record{{Value: 1, Size: 10}, {Value: 2, Key: "k", Size: 10}})
	b.CRC = b.ComputeCRC()
	require.True(t, b.Valid())
	c := b.Stamp(42, 3)
	assert.Same(t, b, c, "the leader takes a fresh batch over")
	assert.True(t, c.Valid(), "offset assignment keeps the CRC")
	again := c.Stamp(50, 4)
	assert.NotSame(t, c, again, "a batch stamped before is copied")
	assert.Equal(t, int64(42), c.BaseOffset, "and stays as it was")
	assert.Equal(t, int32(3), c.PartitionLeaderEpoch)
	assert.Equal(t, int64(50), again.BaseOffset)
	assert.True(t, again.Valid())
	assert.Equal(t, int64(43), c.LastOffset())
	assert.NotEqual(t, c.DiskSum(), again.DiskSum(), "disk sum binds the offset")
	d := *c
	d.SetRecords([]Record{{Value: 1, Size: 10}, {Value: 3, Key: "k", Size: 10}})
	assert.False(t, d.Valid(), "a changed record breaks the CRC")
}

// TestBatchChecksumsSeeEveryKeyByte: a key changed in any one byte, or by a trailing
// zero byte, breaks the CRC, for keys shorter and longer than a word.
func TestBatchChecksumsSeeEveryKeyByte(t *testing.T) {
	crc := func(key string) uint32 {
		b := &RecordBatch{ProducerID: NoProducerID, SizeBytes: 100}
		b.SetRecords([]Record{{Value: 1, Key: key, Size: 10}})
		return b.ComputeCRC()
	}
	seen := map[uint32]string{}
	for n := 1; n <= 20; n++ {
		key := []byte(strings.Repeat("k", n))
		base := crc(string(key))
		assert.NotEqual(t, base, crc(string(key)+"\x00"), "%q and a trailing zero byte", key)
		for i := range key {
			key[i] = 'j'
			c := crc(string(key))
			assert.NotEqual(t, base, c, "byte %d of %q", i, key)
			assert.NotContains(t, seen, c, "%q collides with %q", key, seen[c])
			seen[c] = string(key)
			key[i] = 'k'
		}
	}
}

package group

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/broker/proto"
)

// FuzzDecodeRecord checks the offsets-topic record reader on arbitrary keys:
//   - it never panics;
//   - whatever it accepts encodes back to a record that decodes to the same value.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(EncodeOffsetCommit("g", proto.TopicPartition{Topic: "t", Partition: 1}, Committed{Offset: 5, LeaderEpoch: 2}).Key)
	f.Add(EncodeGroupMetadata("g", GroupMetadata{Generation: 3, Protocol: "range", Leader: "m",
		Members: []MemberMetadata{{MemberID: "m", ClientID: "c", SessionTimeout: time.Second,
			Subscription: proto.ConsumerSubscription{Topics: []string{"t"}}}}}, 0).Key)
	f.Add(`group "g" 1 "p" "l" 1 "m" "c" 1 2 3 0 0 -1 0`)
	f.Add("offset")
	f.Fuzz(func(t *testing.T, key string) {
		r, err := DecodeRecord(proto.Record{Key: key})
		if err != nil {
			return
		}
		var again proto.Record
		switch r.Kind {
		case OffsetCommitRecord:
			again = EncodeOffsetCommit(r.GroupID, r.TP, r.Committed)
		case GroupMetadataRecord:
			again = EncodeGroupMetadata(r.GroupID, r.Group, 0)
		}
		back, err := DecodeRecord(again)
		require.NoError(t, err, "re-encoding of %q", key)
		require.Equal(t, r, back)
	})
}

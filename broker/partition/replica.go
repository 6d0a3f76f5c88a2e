package partition

import (
	"fmt"
	"slices"
	"time"

	"logsim/broker/proto"
)

// Follower is the leader's view of one follower's progress.
type Follower struct {
	ID int32
	// LEO is the follower's log end offset as of its last fetch, -1 if unknown.
	LEO int64
	// LastCaughtUp is the last time the follower had fetched up to the leader's LEO
	// (Kafka's lastCaughtUpTimeMs); the ISR shrinks when it is too old.
	LastCaughtUp time.Duration
	// LastFetch and LastFetchLeaderLEO remember the previous fetch, which counts as
	// caught up if the next fetch reaches the LEO the leader had then.
	LastFetch          time.Duration
	LastFetchLeaderLEO int64
}

// Replica is one broker's replica of a partition: its log and producer state, the
// controller's view of the partition as last received, the high watermark and, on the
// leader, the followers' progress.
type Replica struct {
	TP        proto.TopicPartition
	Local     int32
	Log       *Log
	Producers *Producers

	// State is the partition as the controller last published it.
	State proto.PartitionState
	// HW is the high watermark.
	HW int64
	// StableEnd is the end of the local appends that have completed on disk (and been
	// fsynced if the flush policy asks): the LEO the leader counts for itself.
	StableEnd int64
	// PendingISR is the ISR the leader proposed to the controller and awaits, nil when
	// no AlterPartition is in flight.
	PendingISR []int32

	// MinInsyncReplicas and ELR mirror the topic's settings: with eligible leader
	// replicas (KIP-966) the HW only advances while the ISR has at least
	// MinInsyncReplicas members.
	MinInsyncReplicas int
	ELR               bool

	followers []Follower
}

// NewReplica wraps a log.
func NewReplica(tp proto.TopicPartition, local int32, l *Log) *Replica {
	r := &Replica{TP: tp, Local: local, Log: l, Producers: NewProducers()}
	r.Producers.Rebuild(l)
	r.HW = l.LogStartOffset()
	r.StableEnd = l.LogEndOffset()
	r.State.Leader = proto.NoLeader
	r.State.LeaderEpoch = -1
	return r
}

// IsLeader reports whether this replica leads the partition.
func (r *Replica) IsLeader() bool { return r.State.Leader == r.Local }

// Followers returns the leader's view of its followers, sorted by id.
func (r *Replica) Followers() []Follower { return r.followers }

// Follower returns one follower's progress.
func (r *Replica) Follower(id int32) (*Follower, bool) {
	for i := range r.followers {
		if r.followers[i].ID == id {
			return &r.followers[i], true
		}
	}
	return nil, false
}

// InISR reports whether id is in the committed ISR.
func (r *Replica) InISR(id int32) bool { return slices.Contains(r.State.ISR, id) }

// inMaximalISR reports whether id is in the maximal ISR, the one the high watermark
// uses: the committed ISR plus replicas a pending expansion adds (KIP-497), so an
// in-flight expansion cannot let the HW pass a replica the controller is about to count.
func (r *Replica) inMaximalISR(id int32) bool {
	return r.InISR(id) || slices.Contains(r.PendingISR, id)
}

// BecomeLeader applies a partition state in which this replica leads. It records the new
// epoch in the epoch cache and resets the followers' progress, as a Kafka leader does
// (ISR members count as caught up now, so they are not shrunk at once). It returns the
// epoch cache entry to persist, if new.
func (r *Replica) BecomeLeader(st proto.PartitionState, now time.Duration) (EpochEntry, bool) {
	if !(st.Leader == r.Local) {
		failf("%s: BecomeLeader with leader %d on %d", r.TP, st.Leader, r.Local)
	}
	newEpoch := st.LeaderEpoch != r.State.LeaderEpoch || !r.IsLeader()
	r.State = st
	r.PendingISR = nil
	if !newEpoch {
		return EpochEntry{}, false
	}
	r.followers = r.followers[:0]
	for _, id := range st.Replicas {
		if id == r.Local {
			continue
		}
		f := Follower{ID: id, LEO: -1, LastFetchLeaderLEO: -1}
		if r.InISR(id) {
			f.LastCaughtUp = now
		}
		r.followers = append(r.followers, f)
	}
	slices.SortFunc(r.followers, func(a, b Follower) int { return int(a.ID - b.ID) })
	if r.HW > r.Log.LogEndOffset() {
		r.HW = r.Log.LogEndOffset()
	}
	return r.Log.AssignEpoch(st.LeaderEpoch)
}

// BecomeFollower applies a partition state in which another replica (or none) leads.
func (r *Replica) BecomeFollower(st proto.PartitionState) {
	r.State = st
	r.PendingISR = nil
	r.followers = r.followers[:0]
}

// UpdateState applies a partition state with the same leader and epoch (an ISR change).
func (r *Replica) UpdateState(st proto.PartitionState) {
	r.State = st
	if r.PendingISR != nil && slices.Equal(sortedCopy(r.PendingISR), sortedCopy(st.ISR)) {
		r.PendingISR = nil
	}
}

func sortedCopy(s []int32) []int32 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// FollowerFetched records a follower's fetch at fetchOffset (its LEO) and reports
// whether the high watermark moved. Kafka's rule for caught-up time: the follower is
// caught up now if it reached the leader's current LEO, or as of its previous fetch if it
// reached the LEO the leader had then.
func (r *Replica) FollowerFetched(id int32, fetchOffset int64, now time.Duration) bool {
	f, ok := r.Follower(id)
	if !ok {
		return false
	}
	leo := r.Log.LogEndOffset()
	if fetchOffset >= leo {
		f.LastCaughtUp = max(f.LastCaughtUp, now)
	} else if f.LastFetchLeaderLEO >= 0 && fetchOffset >= f.LastFetchLeaderLEO {
		f.LastCaughtUp = max(f.LastCaughtUp, f.LastFetch)
	}
	f.LEO = fetchOffset
	f.LastFetch = now
	f.LastFetchLeaderLEO = leo
	return r.MaybeAdvanceHW()
}

// MaybeAdvanceHW moves the leader's high watermark to the smallest LEO in the maximal
// ISR (its own counted as StableEnd). It never moves it back. With ELR, it stays put
// while the ISR is smaller than min.insync.replicas.
func (r *Replica) MaybeAdvanceHW() bool {
	if !r.IsLeader() {
		return false
	}
	if r.ELR && len(r.State.ISR) < r.MinInsyncReplicas {
		return false
	}
	hw := r.StableEnd
	for i := range r.followers {
		f := &r.followers[i]
		if !r.inMaximalISR(f.ID) {
			continue
		}
		hw = min(hw, max(f.LEO, 0))
	}
	if hw > r.HW {
		r.HW = hw
		return true
	}
	return false
}

// OutOfSync lists ISR followers that have not caught up within lag (replica.lag.time.
// max.ms), sorted.
func (r *Replica) OutOfSync(now, lag time.Duration) []int32 {
	var out []int32
	for i := range r.followers {
		f := &r.followers[i]
		if r.InISR(f.ID) && now-f.LastCaughtUp > lag {
			out = append(out, f.ID)
		}
	}
	return out
}

// CanJoinISR reports whether a follower outside the ISR has caught up enough to join:
// its LEO has reached the high watermark and the start of the leader's current epoch.
func (r *Replica) CanJoinISR(id int32) bool {
	f, ok := r.Follower(id)
	if !ok || r.InISR(id) || f.LEO < 0 {
		return false
	}
	start := r.Log.EpochStartOffset(r.State.LeaderEpoch)
	return f.LEO >= r.HW && f.LEO >= start
}

// FollowerSetHW applies the leader's high watermark on a follower.
func (r *Replica) FollowerSetHW(leaderHW int64) {
	r.HW = max(min(leaderHW, r.Log.LogEndOffset()), r.Log.LogStartOffset())
}

// Truncate cuts the log and the producer state at offset and pulls the HW down with it.
func (r *Replica) Truncate(offset int64) Truncation {
	t := r.Log.TruncateTo(offset)
	r.Producers.TruncateTo(t.Offset)
	r.HW = min(r.HW, r.Log.LogEndOffset())
	r.StableEnd = min(r.StableEnd, r.Log.LogEndOffset())
	return t
}

// ResetTo drops the whole log and restarts it at offset.
func (r *Replica) ResetTo(offset int64) []string {
	files := r.Log.TruncateFullyAndStartAt(offset)
	r.Producers = NewProducers()
	r.HW, r.StableEnd = offset, offset
	return files
}

// CheckInvariants panics if the replica's state is inconsistent.
func (r *Replica) CheckInvariants() {
	l := r.Log
	if !(l.LogStartOffset() <= r.HW && r.HW <= l.LogEndOffset()) {
		failf("%s on %d: log start %d <= HW %d <= LEO %d", r.TP, r.Local, l.LogStartOffset(), r.HW, l.LogEndOffset())
	}
	if !(r.StableEnd <= l.LogEndOffset()) {
		failf("%s on %d: stable end %d > LEO %d", r.TP, r.Local, r.StableEnd, l.LogEndOffset())
	}
	for _, id := range r.State.ISR {
		if !(slices.Contains(r.State.Replicas, id)) {
			failf("%s: ISR %v not within replicas %v", r.TP, r.State.ISR, r.State.Replicas)
		}
	}
	for i := 1; i < len(l.epochs); i++ {
		if !(l.epochs[i].Epoch > l.epochs[i-1].Epoch && l.epochs[i].StartOffset >= l.epochs[i-1].StartOffset) {
			failf("%s on %d: epoch cache out of order: %v", r.TP, r.Local, l.epochs)
		}
	}
	if n := len(l.epochs); n > 0 {
		if !(l.epochs[n-1].StartOffset <= l.LogEndOffset()) {
			failf("%s: epoch %v starts beyond LEO %d", r.TP, l.epochs[n-1], l.LogEndOffset())
		}
	}
}

// String summarises the replica for traces.
func (r *Replica) String() string {
	return fmt.Sprintf("%s on %d: leader=%d epoch=%d isr=%v hw=%d leo=%d start=%d",
		r.TP, r.Local, r.State.Leader, r.State.LeaderEpoch, r.State.ISR, r.HW, r.Log.LogEndOffset(), r.Log.LogStartOffset())
}

package group

// OffsetCommit and OffsetFetch.
//
// Behaviour:
//   - A member commits with its generation and member id. Commits are accepted from
//     members of the current generation in Stable and PreparingRebalance (so that a
//     member can commit what it processed before rejoining, as Kafka allows);
//     CompletingRebalance answers REBALANCE_IN_PROGRESS, an older generation
//     ILLEGAL_GENERATION, a removed member UNKNOWN_MEMBER_ID.
//   - A consumer outside group management (assign) commits with NoGeneration and no
//     member id; only a group without members accepts that.
//   - A commit is one record per partition appended to the group's partition of
//     __consumer_offsets. It is applied, and answered, only once the append is
//     committed; a failed append answers the coordinator error Kafka maps it to, and
//     the offsets stay as they were.
//   - OffsetFetch answers -1 for partitions without a committed offset.

import (
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// OffsetCommit handles an OffsetCommitRequest.
func (c *Coordinator) OffsetCommit(now time.Duration, from node.ID, req *proto.OffsetCommitRequest) Effects {
	c.begin()
	ca := newCommitAlloc(len(req.Partitions))
	resp := &ca.resp
	resp.Correlation = req.Correlation
	for i := range req.Partitions {
		resp.Partitions[i].TopicPartition = req.Partitions[i].TopicPartition
	}
	err := c.validateCommit(now, req)
	if err == proto.NONE && len(req.Partitions) > c.cfg.OffsetMetadataMaxSize {
		err = proto.INVALID_COMMIT_OFFSET_SIZE
	}
	if err != proto.NONE || len(req.Partitions) == 0 {
		for i := range resp.Partitions {
			resp.Partitions[i].Err = err
		}
		c.reply(from, resp)
		return c.end()
	}
	g, _ := c.groupFor(req.GroupID, true)
	recs := encodeOffsetCommits(c.takeRecords(len(req.Partitions)), g.id, req.Partitions, now)
	pa := &ca.pa
	*pa = pendingAppend{kind: appendCommit, groupID: g.id, generation: req.GenerationID, to: from, commit: req, resp: resp}
	c.append(g.partition, pa, recs)
	return c.end()
}

// commitAlloc holds, in one allocation, what an OffsetCommit needs: its response with
// room for four partitions, and its pending append. The response is the client's once
// sent, so none of it is reused.
type commitAlloc struct {
	pa    pendingAppend
	resp  proto.OffsetCommitResponse
	parts [4]proto.OffsetCommitPartitionResponse
}

// newCommitAlloc returns a new commitAlloc whose resp has n zero partitions.
func newCommitAlloc(n int) *commitAlloc {
	ca := &commitAlloc{}
	if n <= len(ca.parts) {
		ca.resp.Partitions = ca.parts[:n:n]
	} else {
		ca.resp.Partitions = make([]proto.OffsetCommitPartitionResponse, n)
	}
	return ca
}

func (c *Coordinator) validateCommit(now time.Duration, req *proto.OffsetCommitRequest) proto.ErrorCode {
	g, err := c.groupFor(req.GroupID, false)
	if err != proto.NONE {
		return err
	}
	if g == nil || len(g.members) == 0 {
		if req.GenerationID < 0 && req.MemberID == "" {
			return proto.NONE
		}
		if g != nil && req.GenerationID >= 0 && req.GenerationID != g.generation {
			return proto.ILLEGAL_GENERATION
		}
		return proto.UNKNOWN_MEMBER_ID
	}
	m := g.member(req.MemberID)
	switch {
	case m == nil:
		return proto.UNKNOWN_MEMBER_ID
	case req.GenerationID != g.generation:
		return proto.ILLEGAL_GENERATION
	case g.state == CompletingRebalance:
		return proto.REBALANCE_IN_PROGRESS
	}
	m.lastSeen = now // a commit counts as a heartbeat
	return proto.NONE
}

// OffsetFetch handles an OffsetFetchRequest.
func (c *Coordinator) OffsetFetch(now time.Duration, from node.ID, req *proto.OffsetFetchRequest) Effects {
	c.begin()
	resp := &proto.OffsetFetchResponse{Correlation: req.Correlation}
	g, err := c.groupFor(req.GroupID, false)
	if err != proto.NONE {
		resp.Err = err
		c.reply(from, resp)
		return c.end()
	}
	tps := req.Partitions
	if tps == nil && g != nil {
		for tp := range g.offsets {
			tps = append(tps, tp)
		}
		slices.SortFunc(tps, proto.TopicPartition.Compare)
	}
	for _, tp := range tps {
		out := proto.OffsetFetchPartitionResponse{TopicPartition: tp, CommittedOffset: -1, CommittedLeaderEpoch: -1}
		if g != nil {
			if o, ok := g.offsets[tp]; ok {
				out.CommittedOffset, out.CommittedLeaderEpoch = o.Offset, o.LeaderEpoch
			}
		}
		resp.Partitions = append(resp.Partitions, out)
	}
	c.reply(from, resp)
	return c.end()
}

// AppendDone reports the outcome of an Append: NONE once the records are committed in
// __consumer_offsets, or the error that failed it.
func (c *Coordinator) AppendDone(id int64, err proto.ErrorCode, now time.Duration) Effects {
	c.begin()
	pa := c.pending[id]
	if pa == nil {
		return c.end() // unloaded meanwhile and already answered
	}
	delete(c.pending, id)
	switch pa.kind {
	case appendCommit:
		if err != proto.NONE {
			c.failCommit(pa, coordinatorError(err))
			break
		}
		g := c.groups[pa.groupID]
		if g == nil {
			c.failCommit(pa, proto.NOT_COORDINATOR)
			break
		}
		for _, p := range pa.commit.Partitions {
			g.offsets[p.TopicPartition] = Committed{Offset: p.CommittedOffset, LeaderEpoch: p.CommittedLeaderEpoch, CommitTime: now}
		}
		c.reply(pa.to, pa.resp)
	case appendAssignment:
		c.assignmentStored(pa, id, err, now)
	case appendEmpty:
		// Nothing waits on it; a failed write only means a reloaded group may come
		// back with an older generation, whose members then fail their heartbeats.
	}
	return c.end()
}

func (c *Coordinator) failCommit(pa *pendingAppend, err proto.ErrorCode) {
	for i := range pa.resp.Partitions {
		pa.resp.Partitions[i].Err = err
	}
	c.reply(pa.to, pa.resp)
}

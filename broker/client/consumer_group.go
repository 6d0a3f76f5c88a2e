package client

// The consumer's side of the group protocol: FindCoordinator, JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup and OffsetCommit.
//
// Behaviour:
//   - The coordinator is found with FindCoordinator at any broker; NOT_COORDINATOR,
//     COORDINATOR_NOT_AVAILABLE, a lost connection or a session without heartbeat
//     answers send the consumer looking again.
//   - Before (re)joining, with auto-commit, the positions are committed (Kafka's
//     onJoinPrepare); with the eager protocol every partition is revoked too.
//   - The leader runs the assignor the coordinator chose on every member's
//     subscription. The cooperative protocol revokes only what the new assignment
//     drops, and rejoins at once if it dropped anything.
//   - REBALANCE_IN_PROGRESS in a heartbeat makes the next poll rejoin;
//     UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION lose the partitions (no commit) and
//     rejoin with a reset membership.
//   - max.poll.interval.ms without a poll: LeaveGroup, partitions lost, rejoin on the
//     next poll.

import (
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

func (c *Consumer) ensureCoordinator() {
	if c.coord != node.None || c.coordRetryAt > c.env.Now() {
		if c.coord == node.None {
			c.wake(c.coordRetryAt)
		}
		return
	}
	for _, r := range c.inflight {
		if r.kind == reqFindCoordinator {
			return
		}
	}
	c.nextProbe++
	to := c.cfg.BootstrapServers[c.nextProbe%len(c.cfg.BootstrapServers)]
	if bs := c.meta.brokers; len(bs) > 0 {
		to = node.ID(bs[c.nextProbe%len(bs)])
	}
	corr := c.nextCorr()
	c.send(to, reqFindCoordinator, &proto.FindCoordinatorRequest{Correlation: corr, Key: c.cfg.GroupID}, corr, c.cfg.RequestTimeout)
}

// coordinatorLost forgets the coordinator; requests to it are abandoned.
func (c *Consumer) coordinatorLost() {
	if c.coord == node.None {
		return
	}
	old := c.coord
	c.coord = node.None
	c.coordRetryAt = c.env.Now() + c.cfg.RetryBackoff
	c.wake(c.coordRetryAt)
	c.failInflight(func(r *request) bool {
		return r.to == old && r.kind != reqFetch && r.kind != reqListOffsets && r.kind != reqEpoch && r.kind != reqFindCoordinator
	}, proto.NOT_COORDINATOR)
}

func (c *Consumer) inflightKind(k requestKind) bool {
	for _, r := range c.inflight {
		if r.kind == k {
			return true
		}
	}
	return false
}

// stepGroup joins or rejoins when needed: only inside a poll, as Kafka does.
func (c *Consumer) stepGroup() {
	now := c.env.Now()
	c.armHeartbeat()
	needJoin := c.state == unjoined || c.rejoin && c.state == stable
	if !needJoin || c.poll == nil || c.coord == node.None || c.fatal != "" {
		return
	}
	if c.joinRetryAt > now {
		c.wake(c.joinRetryAt)
		return
	}
	c.onJoinPrepare()
}

// onJoinPrepare commits (auto-commit) and, eagerly, revokes before joining.
func (c *Consumer) onJoinPrepare() {
	c.rejoin = false
	if c.cfg.EnableAutoCommit && c.generation >= 0 && len(c.Positions()) > 0 && c.state == stable {
		c.state = preparing
		c.prepareCommit = c.startCommit(nil, true, func(string) {
			if c.state == preparing {
				c.prepareCommit = 0
				c.sendJoin()
			}
		})
		return
	}
	c.sendJoin()
}

func (c *Consumer) sendJoin() {
	if c.protocol == Eager && len(c.order) > 0 {
		c.changeAssignment(nil, false)
	}
	if c.coord == node.None {
		c.state = unjoined
		return
	}
	c.state = joining
	sub := proto.ConsumerSubscription{Topics: slices.Clone(c.topics), GenerationID: c.generation}
	if c.protocol == Cooperative {
		sub.OwnedPartitions = c.Assignment()
	}
	req := &proto.JoinGroupRequest{GroupID: c.cfg.GroupID, SessionTimeout: c.cfg.SessionTimeout, RebalanceTimeout: c.cfg.MaxPollInterval,
		MemberID: c.memberID, ClientID: c.cfg.ClientID, ProtocolType: proto.ConsumerProtocolType}
	for _, a := range c.assignors {
		req.Protocols = append(req.Protocols, proto.JoinGroupProtocol{Name: a.Name(), Metadata: sub})
	}
	req.Correlation = c.nextCorr()
	// The join waits at the coordinator for the whole rebalance: Kafka gives it the
	// rebalance timeout plus 5 s.
	c.send(c.coord, reqJoin, req, req.Correlation, max(c.cfg.RequestTimeout, c.cfg.MaxPollInterval+5*time.Second))
}

func (c *Consumer) handleJoin(m *proto.JoinGroupResponse) {
	if c.state != joining {
		return
	}
	switch m.Err {
	case proto.NONE:
	case proto.MEMBER_ID_REQUIRED:
		c.memberID = m.MemberID
		c.sendJoin()
		return
	case proto.UNKNOWN_MEMBER_ID, proto.ILLEGAL_GENERATION:
		c.resetMembership()
		c.state = unjoined
		return
	case proto.NOT_COORDINATOR, proto.COORDINATOR_NOT_AVAILABLE, proto.COORDINATOR_LOAD_IN_PROGRESS:
		c.state = unjoined
		c.coordinatorLost()
		return
	case proto.REBALANCE_IN_PROGRESS:
		c.state = unjoined
		return
	case proto.INCONSISTENT_GROUP_PROTOCOL, proto.INVALID_SESSION_TIMEOUT, proto.GROUP_MAX_SIZE_REACHED, proto.INVALID_GROUP_ID:
		c.state = unjoined
		c.fatal = m.Err.String()
		return
	default:
		c.state = unjoined
		c.joinRetryAt = c.env.Now() + c.cfg.RetryBackoff
		return
	}
	c.memberID, c.generation = m.MemberID, m.GenerationID
	c.isLeader = m.Leader == m.MemberID
	c.state = syncing
	c.lastHBAck = c.env.Now()
	if c.isLeader {
		c.syncAsLeader(m)
		return
	}
	c.sendSync(m.ProtocolName, nil)
}

// syncAsLeader runs the chosen assignor, once every subscribed topic's partition count
// is known.
func (c *Consumer) syncAsLeader(m *proto.JoinGroupResponse) {
	if c.state != syncing || c.generation != m.GenerationID {
		return
	}
	var a Assignor
	for _, x := range c.assignors {
		if x.Name() == m.ProtocolName {
			a = x
		}
	}
	if a == nil {
		c.fatal = proto.INCONSISTENT_GROUP_PROTOCOL.String()
		return
	}
	counts := map[string]int32{}
	var members []MemberSubscription
	missing := false
	for _, mem := range m.Members {
		members = append(members, MemberSubscription{MemberID: mem.MemberID, Topics: mem.Metadata.Topics,
			Owned: mem.Metadata.OwnedPartitions, Generation: mem.Metadata.GenerationID})
		for _, t := range mem.Metadata.Topics {
			c.meta.Want(t)
			n := c.meta.Partitions(t)
			if n == 0 && c.meta.TopicError(t) == proto.NONE {
				missing = true
			}
			if n > 0 {
				counts[t] = int32(n)
			}
		}
	}
	if missing {
		c.pendingSync = m
		c.meta.RequestUpdate()
		return
	}
	result := a.Assign(counts, members)
	var as []proto.SyncGroupAssignment
	for _, mem := range m.Members {
		as = append(as, proto.SyncGroupAssignment{MemberID: mem.MemberID, Assignment: proto.ConsumerAssignment{Partitions: result[mem.MemberID]}})
	}
	c.sendSync(m.ProtocolName, as)
}

func (c *Consumer) sendSync(protocol string, as []proto.SyncGroupAssignment) {
	if c.coord == node.None {
		c.state = unjoined
		return
	}
	corr := c.nextCorr()
	c.send(c.coord, reqSync, &proto.SyncGroupRequest{Correlation: corr, GroupID: c.cfg.GroupID, GenerationID: c.generation,
		MemberID: c.memberID, ProtocolName: protocol, Assignments: as}, corr, max(c.cfg.RequestTimeout, c.cfg.MaxPollInterval+5*time.Second))
}

func (c *Consumer) handleSync(m *proto.SyncGroupResponse) {
	if c.state != syncing {
		return
	}
	switch m.Err {
	case proto.NONE:
	case proto.UNKNOWN_MEMBER_ID, proto.ILLEGAL_GENERATION:
		c.resetMembership()
		c.state = unjoined
		return
	case proto.NOT_COORDINATOR, proto.COORDINATOR_NOT_AVAILABLE:
		c.state = unjoined
		c.coordinatorLost()
		return
	default: // REBALANCE_IN_PROGRESS and the rest: join again
		c.state = unjoined
		return
	}
	c.state = stable
	c.lastHBAck = c.env.Now()
	c.stats.Rebalances++
	assigned := slices.Clone(m.Assignment.Partitions)
	slices.SortFunc(assigned, proto.TopicPartition.Compare)
	revoked := c.changeAssignment(assigned, false)
	if c.protocol == Cooperative && len(revoked) > 0 {
		// Partitions that move must be revoked by us before their new owner gets
		// them: a follow-up rebalance hands them over.
		c.rejoin = true
	}
	c.armHeartbeat()
}

// changeAssignment moves to a new assignment and reports it; it returns what was
// revoked. lost marks partitions dropped without a chance to commit.
func (c *Consumer) changeAssignment(assigned []proto.TopicPartition, lost bool) []proto.TopicPartition {
	old := c.Assignment()
	var revoked, added []proto.TopicPartition
	for _, tp := range old {
		if !slices.Contains(assigned, tp) {
			revoked = append(revoked, tp)
		}
	}
	for _, tp := range assigned {
		if !slices.Contains(old, tp) {
			added = append(added, tp)
		}
	}
	c.setAssignment(assigned)
	for _, t := range c.topics {
		c.meta.Want(t)
	}
	c.emit(ConsumerEvent{Kind: EventRebalance, Partitions: c.Assignment(), Revoked: revoked, Added: added, Lost: lost,
		Generation: c.generation, MemberID: c.memberID})
	return revoked
}

// resetMembership forgets the member id and generation; the partitions are lost.
func (c *Consumer) resetMembership() {
	c.memberID, c.generation, c.isLeader = "", proto.NoGeneration, false
	if len(c.order) > 0 {
		c.changeAssignment(nil, true)
	}
}

func (c *Consumer) armHeartbeat() {
	if c.hbTimerSet || (c.state != stable && c.state != syncing && c.state != preparing) {
		return
	}
	c.hbTimerSet = true
	c.env.After(c.cfg.HeartbeatInterval, node.Timer{Kind: timerConsumerHeartbeat})
}

// heartbeatTick is the heartbeat thread: poll-interval and session checks, then a
// heartbeat.
func (c *Consumer) heartbeatTick() {
	if c.closed || c.mode != modeSubscribe || (c.state != stable && c.state != syncing && c.state != preparing) {
		return
	}
	now := c.env.Now()
	if c.poll == nil && now-c.lastPoll > c.cfg.MaxPollInterval {
		c.env.Logf("consumer %s: poll timeout expired (%v since the last poll > max.poll.interval.ms %v): leaving the group",
			c.memberID, now-c.lastPoll, c.cfg.MaxPollInterval)
		c.leaveGroup(true)
		return
	}
	if now-c.lastHBAck > c.cfg.SessionTimeout {
		c.coordinatorLost()
	}
	if c.coord != node.None && !c.inflightKind(reqHeartbeat) {
		corr := c.nextCorr()
		c.send(c.coord, reqHeartbeat, &proto.HeartbeatRequest{Correlation: corr, GroupID: c.cfg.GroupID, GenerationID: c.generation, MemberID: c.memberID},
			corr, c.cfg.RequestTimeout)
	}
	c.armHeartbeat()
}

func (c *Consumer) handleHeartbeat(m *proto.HeartbeatResponse) {
	switch m.Err {
	case proto.NONE:
		c.lastHBAck = c.env.Now()
	case proto.REBALANCE_IN_PROGRESS:
		c.lastHBAck = c.env.Now()
		if c.state == stable {
			c.rejoin = true
		}
	case proto.UNKNOWN_MEMBER_ID, proto.ILLEGAL_GENERATION:
		if c.state == stable || c.state == syncing || c.state == preparing {
			c.resetMembership()
			c.state = unjoined
		}
	case proto.NOT_COORDINATOR, proto.COORDINATOR_NOT_AVAILABLE, proto.COORDINATOR_LOAD_IN_PROGRESS:
		c.coordinatorLost()
	}
}

// leaveGroup sends LeaveGroup and drops the membership and partitions: lost after a
// poll timeout, revoked on Close.
func (c *Consumer) leaveGroup(lost bool) {
	if c.mode != modeSubscribe {
		return
	}
	if c.memberID != "" && c.coord != node.None {
		corr := c.nextCorr()
		c.send(c.coord, reqLeave, &proto.LeaveGroupRequest{Correlation: corr, GroupID: c.cfg.GroupID, Members: []string{c.memberID}}, corr, c.cfg.RequestTimeout)
	}
	c.memberID, c.generation, c.isLeader = "", proto.NoGeneration, false
	if len(c.order) > 0 {
		c.changeAssignment(nil, lost)
	}
	c.state = unjoined
}

// stepCommits sends the queued commits once the coordinator is known.
func (c *Consumer) stepCommits() {
	if c.coord == node.None {
		return
	}
	for _, op := range c.commits {
		if op.sent {
			continue
		}
		op.sent = true
		gen, member := c.generation, c.memberID
		if c.mode != modeSubscribe {
			gen, member = proto.NoGeneration, ""
		}
		corr := c.nextCorr()
		req := &op.req
		if op.reqUsed {
			req = &proto.OffsetCommitRequest{}
		}
		op.reqUsed = true
		*req = proto.OffsetCommitRequest{Correlation: corr, GroupID: c.cfg.GroupID, GenerationID: gen, MemberID: member, Partitions: op.offsets}
		r := c.send(c.coord, reqCommit, req, corr, c.cfg.RequestTimeout)
		r.commit = op
	}
}

func (c *Consumer) handleCommit(r *request, m *proto.OffsetCommitResponse) {
	op := r.commit
	err := proto.NONE
	for _, p := range m.Partitions {
		if p.Err != proto.NONE {
			err = p.Err
			break
		}
	}
	switch err {
	case proto.NONE:
		c.finishCommit(op, "")
	case proto.NOT_COORDINATOR, proto.COORDINATOR_NOT_AVAILABLE, proto.COORDINATOR_LOAD_IN_PROGRESS, proto.REQUEST_TIMED_OUT:
		c.retryCommit(op)
		if err != proto.REQUEST_TIMED_OUT {
			c.coordinatorLost()
		}
	case proto.UNKNOWN_MEMBER_ID, proto.ILLEGAL_GENERATION:
		c.finishCommit(op, err.String())
		if c.mode == modeSubscribe && c.state == stable {
			c.resetMembership()
			c.state = unjoined
		}
	case proto.REBALANCE_IN_PROGRESS:
		c.finishCommit(op, err.String())
		if c.state == stable {
			c.rejoin = true
		}
	default:
		c.finishCommit(op, err.String())
	}
}

// retryCommit queues a commit again if its deadline allows.
func (c *Consumer) retryCommit(op *commitOp) {
	if c.env.Now() >= op.deadline {
		c.finishCommit(op, proto.REQUEST_TIMED_OUT.String())
		return
	}
	op.sent = false
}

// handleResponse dispatches a response to its request's handler.
func (c *Consumer) handleResponse(r *request, msg node.Message) {
	switch m := msg.(type) {
	case *proto.FindCoordinatorResponse:
		if m.Err != proto.NONE || m.NodeID < 0 {
			c.coordRetryAt = c.env.Now() + c.cfg.RetryBackoff
			c.wake(c.coordRetryAt)
			return
		}
		c.coord = node.ID(m.NodeID)
		c.lastHBAck = c.env.Now()
	case *proto.JoinGroupResponse:
		c.handleJoin(m)
	case *proto.SyncGroupResponse:
		c.handleSync(m)
	case *proto.HeartbeatResponse:
		c.handleHeartbeat(m)
	case *proto.LeaveGroupResponse:
	case *proto.OffsetCommitResponse:
		c.handleCommit(r, m)
	case *proto.OffsetFetchResponse:
		c.handleOffsetFetch(r, m)
	case *proto.ListOffsetsResponse:
		c.handleListOffsets(r, m)
	case *proto.OffsetForLeaderEpochResponse:
		c.handleEpochs(r, m)
	case *proto.FetchResponse:
		c.handleFetch(r, m)
	}
}

// requestFailed handles a request that got no answer (timeout, lost connection, lost
// coordinator).
func (c *Consumer) requestFailed(r *request, err proto.ErrorCode) {
	now := c.env.Now()
	switch r.kind {
	case reqFindCoordinator:
		c.coordRetryAt = now + c.cfg.RetryBackoff
		c.wake(c.coordRetryAt)
	case reqJoin, reqSync:
		if c.state == joining || c.state == syncing {
			c.state = unjoined
		}
		if r.to == c.coord && err != proto.NOT_COORDINATOR {
			c.coordinatorLost()
		}
	case reqHeartbeat:
		if r.to == c.coord && err != proto.NOT_COORDINATOR {
			c.coordinatorLost()
		}
	case reqCommit:
		c.retryCommit(r.commit)
		if r.to == c.coord && err != proto.NOT_COORDINATOR {
			c.coordinatorLost()
		}
	case reqOffsetFetch, reqListOffsets, reqEpoch:
		for _, p := range r.parts {
			p.busy = false
			p.retryAt = now + c.cfg.RetryBackoff
		}
		c.wake(now + c.cfg.RetryBackoff)
		if r.kind == reqOffsetFetch && r.to == c.coord && err != proto.NOT_COORDINATOR {
			c.coordinatorLost()
		}
		if r.kind != reqOffsetFetch {
			c.meta.RequestUpdate()
		}
	case reqFetch:
		c.fetchTo.del(r.to)
		for _, p := range r.parts {
			p.fetching = false
			p.retryAt = now + c.cfg.RetryBackoff
		}
		c.wake(now + c.cfg.RetryBackoff)
		c.meta.RequestUpdate()
	}
}

package group

// JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the rebalance they drive.
//
// Behaviour (Kafka's classic GroupCoordinator):
//   - A first JoinGroup without a member id gets MEMBER_ID_REQUIRED and an id to rejoin
//     with (KIP-394); the id stays reserved for a session timeout.
//   - A new member, a member whose subscription changed, or the leader rejoining starts
//     a rebalance: PreparingRebalance. Joins are parked until every known member has
//     rejoined, or the rebalance timeout (the largest max.poll.interval.ms) passes, at
//     which point the members that did not rejoin are removed. The first rebalance of an
//     empty group waits group.initial.rebalance.delay.ms for more members.
//   - Completing the join bumps the generation, picks the protocol every member
//     supports with the most first-choice votes, keeps the leader if it rejoined, and
//     answers every join; the leader's answer lists the members and subscriptions.
//   - The leader's SyncGroup carries the assignment, which is stored as a group
//     metadata record in __consumer_offsets; once committed, the group is Stable and
//     every parked SyncGroup is answered with the member's partitions.
//   - Heartbeats answer REBALANCE_IN_PROGRESS during the join phase, which is how
//     members learn to rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID fence members
//     from an older generation or that were removed.

import (
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// JoinGroup handles a JoinGroupRequest from a member on node from.
func (c *Coordinator) JoinGroup(now time.Duration, from node.ID, req *proto.JoinGroupRequest) Effects {
	c.begin()
	fail := func(err proto.ErrorCode) {
		c.reply(from, &proto.JoinGroupResponse{Correlation: req.Correlation, Err: err, GenerationID: proto.NoGeneration, MemberID: req.MemberID})
	}
	if req.SessionTimeout < c.cfg.GroupMinSessionTimeout || req.SessionTimeout > c.cfg.GroupMaxSessionTimeout {
		fail(proto.INVALID_SESSION_TIMEOUT)
		return c.end()
	}
	if req.ProtocolType != proto.ConsumerProtocolType || len(req.Protocols) == 0 {
		fail(proto.INCONSISTENT_GROUP_PROTOCOL)
		return c.end()
	}
	g, err := c.groupFor(req.GroupID, true)
	if err != proto.NONE {
		fail(err)
		return c.end()
	}
	if !g.supportsAny(req.Protocols) {
		fail(proto.INCONSISTENT_GROUP_PROTOCOL)
		return c.end()
	}
	m := g.member(req.MemberID)
	switch {
	case req.MemberID == "":
		if len(g.members)+len(g.pending) >= c.cfg.GroupMaxSize {
			fail(proto.GROUP_MAX_SIZE_REACHED)
			break
		}
		id := c.newMemberID(g, req.ClientID)
		g.pending = append(g.pending, pendingMember{id: id, expiry: now + req.SessionTimeout})
		c.reply(from, &proto.JoinGroupResponse{Correlation: req.Correlation, Err: proto.MEMBER_ID_REQUIRED, GenerationID: proto.NoGeneration, MemberID: id})
	case m == nil && g.hasPending(req.MemberID):
		g.removePending(req.MemberID)
		m = &member{id: req.MemberID, clientID: req.ClientID}
		g.members = append(g.members, m)
		c.updateMember(m, now, from, req)
		m.join = &parked{to: from, corr: req.Correlation}
		c.prepareRebalance(g, now, "new member "+m.id)
		c.tryCompleteJoin(g, now)
	case m == nil:
		fail(proto.UNKNOWN_MEMBER_ID)
	default:
		c.joinKnown(g, m, now, from, req)
	}
	c.maybeDropEmpty(g)
	return c.end()
}

// joinKnown handles a join from an existing member.
func (c *Coordinator) joinKnown(g *group, m *member, now time.Duration, from node.ID, req *proto.JoinGroupRequest) {
	changed := !sameProtocols(m.protocols, req.Protocols)
	if m.join != nil {
		// A retried join replaces the parked one (the member lost the first).
		c.reply(m.join.to, &proto.JoinGroupResponse{Correlation: m.join.corr, Err: proto.UNKNOWN_MEMBER_ID, GenerationID: proto.NoGeneration})
		m.join = nil
	}
	switch g.state {
	case PreparingRebalance:
		c.updateMember(m, now, from, req)
		m.join = &parked{to: from, corr: req.Correlation}
		c.tryCompleteJoin(g, now)
	case CompletingRebalance, Stable:
		if !changed && (g.state == CompletingRebalance || m.id != g.leader) {
			// Nothing new: answer with the current generation.
			m.lastSeen = now
			c.reply(from, c.joinResponse(g, m, req.Correlation))
			return
		}
		c.updateMember(m, now, from, req)
		m.join = &parked{to: from, corr: req.Correlation}
		c.prepareRebalance(g, now, "member "+m.id+" rejoined")
		c.tryCompleteJoin(g, now)
	default:
		if !(false) {
			assertf(false, "group %q: known member %q in state %v", g.id, m.id, g.state)
		}
	}
}

func (c *Coordinator) updateMember(m *member, now time.Duration, from node.ID, req *proto.JoinGroupRequest) {
	m.node, m.clientID = from, req.ClientID
	m.sessionTimeout, m.rebalanceTimeout = req.SessionTimeout, req.RebalanceTimeout
	m.protocols = append(m.protocols[:0:0], req.Protocols...)
	m.lastSeen = now
}

func sameProtocols(a, b []proto.JoinGroupProtocol) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !sameSubscription(&a[i].Metadata, &b[i].Metadata) {
			return false
		}
	}
	return true
}

func sameSubscription(a, b *proto.ConsumerSubscription) bool {
	if len(a.Topics) != len(b.Topics) || len(a.OwnedPartitions) != len(b.OwnedPartitions) {
		return false
	}
	for i := range a.Topics {
		if a.Topics[i] != b.Topics[i] {
			return false
		}
	}
	for i := range a.OwnedPartitions {
		if a.OwnedPartitions[i] != b.OwnedPartitions[i] {
			return false
		}
	}
	return true
}

// supportsAny reports whether a joiner shares a protocol with every current member.
func (g *group) supportsAny(ps []proto.JoinGroupProtocol) bool {
	if len(g.members) == 0 {
		return true
	}
	for _, p := range ps {
		all := true
		for _, m := range g.members {
			if !m.supports(p.Name) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (m *member) supports(name string) bool {
	for _, p := range m.protocols {
		if p.Name == name {
			return true
		}
	}
	return false
}

func (m *member) metadata(name string) proto.ConsumerSubscription {
	for _, p := range m.protocols {
		if p.Name == name {
			return p.Metadata
		}
	}
	return proto.ConsumerSubscription{}
}

func (g *group) removePending(id string) {
	for i, p := range g.pending {
		if p.id == id {
			g.pending = append(g.pending[:i], g.pending[i+1:]...)
			return
		}
	}
}

// prepareRebalance starts the join phase. Parked syncs of the generation being
// completed are answered REBALANCE_IN_PROGRESS.
func (c *Coordinator) prepareRebalance(g *group, now time.Duration, why string) {
	switch g.state {
	case PreparingRebalance:
		if g.initialDelay {
			// Another member joined the first rebalance: wait a little longer.
			g.joinDeadline = min(now+c.cfg.GroupInitialRebalanceDelay, g.rebalanceCap)
		}
		return
	case CompletingRebalance:
		for _, m := range g.members {
			if m.sync != nil {
				c.reply(m.sync.to, &proto.SyncGroupResponse{Correlation: m.sync.corr, Err: proto.REBALANCE_IN_PROGRESS})
				m.sync = nil
			}
			m.assignment = proto.ConsumerAssignment{}
		}
		g.storing = 0
	}
	g.initialDelay = g.state == Empty && c.cfg.GroupInitialRebalanceDelay > 0
	g.state = PreparingRebalance
	g.rebalanceCap = now + g.rebalanceTimeout()
	g.joinDeadline = g.rebalanceCap
	if g.initialDelay {
		g.joinDeadline = min(now+c.cfg.GroupInitialRebalanceDelay, g.rebalanceCap)
	}
}

// rebalanceTimeout is the largest max.poll.interval.ms of the members.
func (g *group) rebalanceTimeout() time.Duration {
	var t time.Duration
	for _, m := range g.members {
		t = max(t, m.rebalanceTimeout)
	}
	return t
}

// tryCompleteJoin completes the join phase once every member has rejoined and no
// reserved member id is outstanding (never early during the initial delay).
func (c *Coordinator) tryCompleteJoin(g *group, now time.Duration) {
	if g.state != PreparingRebalance || g.initialDelay || len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.join == nil {
			return
		}
	}
	c.completeJoin(g, now)
}

// completeJoin ends the join phase: members that did not rejoin are removed, the
// generation moves on, and every joined member is answered.
func (c *Coordinator) completeJoin(g *group, now time.Duration) {
	kept := g.members[:0]
	for _, m := range g.members {
		if m.join != nil {
			kept = append(kept, m)
		}
	}
	clear(g.members[len(kept):])
	g.members = kept
	g.initialDelay = false
	g.generation++
	if len(g.members) == 0 {
		g.state, g.protocol, g.leader = Empty, "", ""
		c.append(g.partition, &pendingAppend{kind: appendEmpty, groupID: g.id, generation: g.generation},
			[]proto.Record{EncodeGroupMetadata(g.id, GroupMetadata{Generation: g.generation}, now)})
		return
	}
	g.protocol = g.selectProtocol()
	if g.member(g.leader) == nil {
		g.leader = g.members[0].id
	}
	g.state = CompletingRebalance
	g.syncDeadline = now + g.rebalanceTimeout()
	for _, m := range g.members {
		m.lastSeen = now
		j := m.join
		m.join = nil
		c.reply(j.to, c.joinResponse(g, m, j.corr))
	}
}

func (c *Coordinator) joinResponse(g *group, m *member, corr int64) *proto.JoinGroupResponse {
	resp := &proto.JoinGroupResponse{Correlation: corr, GenerationID: g.generation, ProtocolName: g.protocol, Leader: g.leader, MemberID: m.id}
	if m.id == g.leader {
		for _, o := range g.members {
			resp.Members = append(resp.Members, proto.JoinGroupMember{MemberID: o.id, Metadata: o.metadata(g.protocol)})
		}
	}
	return resp
}

// selectProtocol picks, among the protocols every member supports, the one most
// members list first (Kafka's vote); ties go to the earlier candidate in the first
// member's order.
func (g *group) selectProtocol() string {
	var candidates []string
	for _, p := range g.members[0].protocols {
		all := true
		for _, m := range g.members[1:] {
			if !m.supports(p.Name) {
				all = false
				break
			}
		}
		if all {
			candidates = append(candidates, p.Name)
		}
	}
	if !(len(candidates) > 0) {
		assertf(false, "group %q: no common protocol", g.id)
	}
	best, bestVotes := candidates[0], -1
	for _, cand := range candidates {
		votes := 0
		for _, m := range g.members {
			for _, p := range m.protocols {
				if containsString(candidates, p.Name) {
					if p.Name == cand {
						votes++
					}
					break
				}
			}
		}
		if votes > bestVotes {
			best, bestVotes = cand, votes
		}
	}
	return best
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// SyncGroup handles a SyncGroupRequest.
func (c *Coordinator) SyncGroup(now time.Duration, from node.ID, req *proto.SyncGroupRequest) Effects {
	c.begin()
	fail := func(err proto.ErrorCode) {
		c.reply(from, &proto.SyncGroupResponse{Correlation: req.Correlation, Err: err})
	}
	g, err := c.groupFor(req.GroupID, false)
	m := g.member(req.MemberID)
	switch {
	case err != proto.NONE:
		fail(err)
	case g == nil || m == nil:
		fail(proto.UNKNOWN_MEMBER_ID)
	case req.GenerationID != g.generation:
		fail(proto.ILLEGAL_GENERATION)
	case req.ProtocolName != "" && req.ProtocolName != g.protocol:
		fail(proto.INCONSISTENT_GROUP_PROTOCOL)
	case g.state == PreparingRebalance:
		fail(proto.REBALANCE_IN_PROGRESS)
	case g.state == Stable:
		m.lastSeen = now
		c.reply(from, &proto.SyncGroupResponse{Correlation: req.Correlation, ProtocolName: g.protocol, Assignment: cloneAssignment(m.assignment)})
	case g.state == CompletingRebalance:
		m.lastSeen = now
		if m.sync != nil {
			c.reply(m.sync.to, &proto.SyncGroupResponse{Correlation: m.sync.corr, Err: proto.REBALANCE_IN_PROGRESS})
		}
		m.sync = &parked{to: from, corr: req.Correlation}
		if m.id == g.leader && g.storing == 0 {
			c.storeAssignment(g, now, req.Assignments)
		}
	default:
		fail(proto.UNKNOWN_MEMBER_ID)
	}
	return c.end()
}

// storeAssignment writes the leader's assignment; members missing from it get none.
func (c *Coordinator) storeAssignment(g *group, now time.Duration, as []proto.SyncGroupAssignment) {
	assign := map[string]proto.ConsumerAssignment{}
	for _, a := range as {
		if g.member(a.MemberID) != nil {
			assign[a.MemberID] = cloneAssignment(a.Assignment)
		}
	}
	md := GroupMetadata{Generation: g.generation, Protocol: g.protocol, Leader: g.leader}
	for _, m := range g.members {
		md.Members = append(md.Members, MemberMetadata{MemberID: m.id, ClientID: m.clientID, Node: int32(m.node),
			SessionTimeout: m.sessionTimeout, RebalanceTimeout: m.rebalanceTimeout,
			Subscription: m.metadata(g.protocol), Assignment: assign[m.id]})
	}
	g.storing = c.append(g.partition, &pendingAppend{kind: appendAssignment, groupID: g.id, generation: g.generation, assignment: assign},
		[]proto.Record{EncodeGroupMetadata(g.id, md, now)})
}

func cloneAssignment(a proto.ConsumerAssignment) proto.ConsumerAssignment {
	return proto.ConsumerAssignment{Partitions: append([]proto.TopicPartition(nil), a.Partitions...)}
}

// assignmentStored completes a rebalance once the assignment is committed.
func (c *Coordinator) assignmentStored(pa *pendingAppend, id int64, err proto.ErrorCode, now time.Duration) {
	g := c.groups[pa.groupID]
	if g == nil || g.state != CompletingRebalance || g.generation != pa.generation || g.storing != id {
		return // the rebalance it completed was abandoned
	}
	g.storing = 0
	if err != proto.NONE {
		// Kafka answers the syncs with the storage error mapped to a coordinator
		// error and leaves the group to rebalance again.
		for _, m := range g.members {
			if m.sync != nil {
				c.reply(m.sync.to, &proto.SyncGroupResponse{Correlation: m.sync.corr, Err: coordinatorError(err)})
				m.sync = nil
			}
		}
		c.prepareRebalance(g, now, "assignment store failed")
		return
	}
	g.state = Stable
	for _, m := range g.members {
		m.assignment = pa.assignment[m.id]
		if m.sync != nil {
			c.reply(m.sync.to, &proto.SyncGroupResponse{Correlation: m.sync.corr, ProtocolName: g.protocol, Assignment: cloneAssignment(m.assignment)})
			m.sync = nil
		}
		m.lastSeen = now
	}
}

// coordinatorError maps an append error to what Kafka's coordinator returns.
func coordinatorError(err proto.ErrorCode) proto.ErrorCode {
	switch err {
	case proto.NOT_LEADER_OR_FOLLOWER, proto.KAFKA_STORAGE_ERROR, proto.NOT_COORDINATOR:
		return proto.NOT_COORDINATOR
	case proto.MESSAGE_TOO_LARGE, proto.RECORD_LIST_TOO_LARGE:
		return proto.UNKNOWN_SERVER_ERROR
	}
	return proto.COORDINATOR_NOT_AVAILABLE
}

// Heartbeat handles a HeartbeatRequest.
func (c *Coordinator) Heartbeat(now time.Duration, from node.ID, req *proto.HeartbeatRequest) Effects {
	c.begin()
	resp := &proto.HeartbeatResponse{Correlation: req.Correlation}
	g, err := c.groupFor(req.GroupID, false)
	m := g.member(req.MemberID)
	switch {
	case err != proto.NONE:
		resp.Err = err
	case g == nil || m == nil:
		resp.Err = proto.UNKNOWN_MEMBER_ID
	case req.GenerationID != g.generation:
		resp.Err = proto.ILLEGAL_GENERATION
	case g.state == PreparingRebalance:
		m.lastSeen = now
		resp.Err = proto.REBALANCE_IN_PROGRESS
	default:
		m.lastSeen = now
	}
	c.reply(from, resp)
	return c.end()
}

// LeaveGroup handles a LeaveGroupRequest: the members go at once and the group
// rebalances.
func (c *Coordinator) LeaveGroup(now time.Duration, from node.ID, req *proto.LeaveGroupRequest) Effects {
	c.begin()
	resp := &proto.LeaveGroupResponse{Correlation: req.Correlation}
	g, err := c.groupFor(req.GroupID, false)
	switch {
	case err != proto.NONE:
		resp.Err = err
	case g == nil:
		resp.Err = proto.UNKNOWN_MEMBER_ID
	default:
		for _, id := range req.Members {
			if g.member(id) == nil {
				if g.hasPending(id) {
					g.removePending(id)
					c.tryCompleteJoin(g, now)
					continue
				}
				resp.Err = proto.UNKNOWN_MEMBER_ID
				continue
			}
			c.removeMember(g, id, now, "left")
		}
		c.maybeDropEmpty(g)
	}
	c.reply(from, resp)
	return c.end()
}

// removeMember takes a member out (left, or its session expired) and rebalances.
func (c *Coordinator) removeMember(g *group, id string, now time.Duration, why string) {
	m := g.member(id)
	if !(m != nil) {
		assertf(false, "group %q: remove of unknown member %q", g.id, id)
	}
	c.answerParked(g, m, proto.UNKNOWN_MEMBER_ID)
	for i, x := range g.members {
		if x == m {
			g.members = append(g.members[:i], g.members[i+1:]...)
			break
		}
	}
	switch g.state {
	case Stable, CompletingRebalance:
		c.prepareRebalance(g, now, "member "+id+" "+why)
		c.tryCompleteJoin(g, now)
	case PreparingRebalance:
		c.tryCompleteJoin(g, now)
	}
}

// maybeDropEmpty forgets a group that has nothing: no members, no reserved ids, no
// offsets and no generation (a join that failed validation).
func (c *Coordinator) maybeDropEmpty(g *group) {
	if g.state == Empty && len(g.members) == 0 && len(g.pending) == 0 && len(g.offsets) == 0 && g.generation == 0 {
		delete(c.groups, g.id)
	}
}

// ----- deadlines -----

// NextDeadline is the earliest time Tick has work; ok is false when nothing is due
// ever (no members).
func (c *Coordinator) NextDeadline() (time.Duration, bool) {
	var next time.Duration
	ok := false
	take := func(t time.Duration) {
		if !ok || t < next {
			next, ok = t, true
		}
	}
	for _, g := range c.groups {
		for _, m := range g.members {
			if t, alive := m.expiry(); alive {
				take(t)
			}
		}
		for _, p := range g.pending {
			take(p.expiry)
		}
		switch g.state {
		case PreparingRebalance:
			take(g.joinDeadline)
		case CompletingRebalance:
			take(g.syncDeadline)
		}
	}
	return next, ok
}

// Tick acts on every deadline at or before now: expired sessions and reserved ids, the
// end of the join phase, members that never synced.
func (c *Coordinator) Tick(now time.Duration) Effects {
	c.begin()
	for _, g := range c.sortedGroups() {
		kept := g.pending[:0]
		for _, p := range g.pending {
			if p.expiry > now {
				kept = append(kept, p)
			}
		}
		g.pending = kept
		for _, m := range append([]*member(nil), g.members...) {
			if t, alive := m.expiry(); alive && t <= now {
				c.removeMember(g, m.id, now, "session expired")
			}
		}
		switch {
		case g.state == PreparingRebalance && g.joinDeadline <= now:
			c.completeJoin(g, now)
		case g.state == PreparingRebalance:
			c.tryCompleteJoin(g, now)
		case g.state == CompletingRebalance && g.syncDeadline <= now:
			for _, m := range append([]*member(nil), g.members...) {
				if m.sync == nil {
					c.removeMember(g, m.id, now, "did not sync")
				}
			}
		}
		c.maybeDropEmpty(g)
	}
	return c.end()
}

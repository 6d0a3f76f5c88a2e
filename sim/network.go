package sim

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"logsim/broker/node"
)

// conn is the connection between two nodes: two directed links that fail together.
// Kafka pipelines requests on one TCP connection and relies on its order, so the
// network is a set of connections, not a datagram fabric.
type conn struct {
	a, b     node.ID
	ab, ba   *link
	epoch    uint32  // bumped by every reset; messages of older epochs are lost
	cuts     int     // symmetric partitions cutting this connection
	stalls   int     // one-way partitions stalling it
	stallGen uint32  // identifies the current stall, for StallTimeout
	halfOpen node.ID // the end that lost power, while the other still holds the connection
	open     bool    // a message was sent since the last reset: there is something to lose
}

// link is one direction of a connection: FIFO, with its own latency, bandwidth queue
// and faults.
type link struct {
	from, to    node.ID
	conn        *conn
	latency     Latency
	bandwidth   int64
	extra       time.Duration // added latency (fault)
	clogged     bool
	busyUntil   time.Duration // when the link finishes serializing its queue
	lastDeliver time.Duration // FIFO: no delivery before the previous one
	// Sends leave in the order the sender issued them, even when handlers on several
	// cores finish their charged work out of order (a connection is one byte stream):
	// lastDepart is the departure time of the latest issued send, and queued counts
	// the deferred sends not yet departed.
	lastDepart time.Duration
	queued     int
	held       []node.Message
}

// linkTo returns the link from n to peer, creating the connection on first use.
func (s *Sim) linkTo(n *nodeState, peer node.ID) *link {
	p := s.nodes[peer]
	if p.idx < len(n.out) {
		if l := n.out[p.idx]; l != nil {
			return l
		}
	}
	c := &conn{a: n.id, b: peer, halfOpen: node.None}
	c.ab = &link{from: n.id, to: peer, conn: c, latency: s.cfg.Network.Latency, bandwidth: s.cfg.Network.Bandwidth}
	c.ba = c.ab // loopback: one link
	if peer != n.id {
		c.ba = &link{from: peer, to: n.id, conn: c, latency: s.cfg.Network.Latency, bandwidth: s.cfg.Network.Bandwidth}
	}
	setOut(n, p.idx, c.ab)
	setOut(p, n.idx, c.ba)
	return c.ab
}

func setOut(n *nodeState, idx int, l *link) {
	for idx >= len(n.out) {
		n.out = append(n.out, nil)
	}
	n.out[idx] = l
}

// transmit sends m from n to node to at the current time.
func (s *Sim) transmit(n *nodeState, to node.ID, m node.Message) {
	l := s.linkTo(n, to)
	c := l.conn
	dst := s.nodes[to]
	n.stats.MessagesSent++
	n.stats.BytesSent += int64(m.Size())
	switch {
	case dst.down == poweredOff || !dst.started:
		// No host answers: the connection attempt times out at the sender, which
		// notices through its own request timeouts.
		n.stats.MessagesLost++
		return
	case dst.down == crashed, c.halfOpen == to, c.cuts > 0:
		// Refused (no process), reset by the restarted host, or unreachable.
		n.stats.MessagesLost++
		if c.halfOpen == to {
			c.halfOpen = node.None
		}
		s.notify(n.id, to, s.connectFailure(l, c.cuts > 0))
		return
	case c.halfOpen == n.id:
		// n restarted after a power loss and opens a new connection; the peer's
		// old one is reset as the new one arrives.
		c.halfOpen = node.None
		s.notify(to, n.id, 0)
	}
	c.open = true
	if c.stalls > 0 || l.clogged {
		l.held = append(l.held, m)
		return
	}
	s.deliverAt(n, l, m, true)
}

// connectFailure is how long a failed connection attempt takes to report: a refusal
// (RST) comes back after a round trip, an unreachable peer after the connect timeout.
func (s *Sim) connectFailure(l *link, unreachable bool) time.Duration {
	if t := s.cfg.Network.ConnectTimeout; unreachable && t > 0 {
		return t
	}
	return l.latency.Sample(s.netRand) + l.latency.Sample(s.netRand)
}

// deliverAt schedules m's arrival: after the sender's NIC and the link serialize it,
// plus a latency draw, after the receiver's NIC has taken it in, and never before the
// link's previous delivery (FIFO). The receiver's NIC is booked in the order messages
// are sent, an approximation that keeps every queue a single number.
func (s *Sim) deliverAt(n *nodeState, l *link, m node.Message, viaNIC bool) {
	size := int64(m.Size())
	t := s.now
	var slowest time.Duration // the longest serialization so far: the bottleneck
	if bw := n.cfg.NICBandwidth; viaNIC && bw > 0 {
		d := serialize(size, bw)
		t = max(t, n.nicBusy) + d
		n.nicBusy = t
		slowest = d
	}
	if l.bandwidth > 0 {
		d := serialize(size, l.bandwidth)
		t = max(t, l.busyUntil) + d
		l.busyUntil = t
		slowest = max(slowest, d)
	}
	at := t + l.latency.Sample(s.netRand) + l.extra
	if dst := s.nodes[l.to]; dst.cfg.NICBandwidth > 0 {
		// The receiving NIC starts on the message when its first byte arrives and
		// it is done with the previous one.
		first := at - slowest
		at = max(at, max(dst.rxBusy, first)+serialize(size, dst.cfg.NICBandwidth))
		dst.rxBusy = at
	}
	at = max(l.lastDeliver, at)
	l.lastDeliver = at
	sl, idx := s.alloc(evRecv, l.to)
	sl.peer = l.from
	sl.msg = m
	sl.epoch = l.conn.epoch
	s.enqueue(at, idx)
}

// serialize is the time size bytes take at bw bytes per second (0: unlimited).
func serialize(size, bw int64) time.Duration {
	if size <= 0 || bw <= 0 {
		return 0
	}
	return time.Duration((size*int64(time.Second) + bw - 1) / bw)
}

// notify schedules Disconnected from peer at node id after d, if id is running.
func (s *Sim) notify(id, peer node.ID, d time.Duration) {
	n := s.nodes[id]
	if n.down != upState || !n.started {
		return
	}
	sl, idx := s.alloc(evDisconnect, id)
	sl.peer = peer
	sl.inc = n.inc
	s.enqueue(s.now+d, idx)
}

// reset breaks c: messages in flight or held either way are lost. The ends are told
// after da and db when tell is set.
func (s *Sim) reset(c *conn, tell bool, da, db time.Duration) {
	tell = tell && c.open
	c.open = false
	c.epoch++
	for _, l := range []*link{c.ab, c.ba} {
		l.held = nil
		l.lastDeliver = 0
	}
	s.traceLine("-", "reset", s.nodes[c.a].name+"<->"+s.nodes[c.b].name)
	s.foldKernel(kReset, c.a, c.b)
	if tell {
		s.notify(c.a, c.b, da)
		if c.b != c.a {
			s.notify(c.b, c.a, db)
		}
	}
}

// flow sends what l held, in order, now that it may flow.
func (s *Sim) flow(l *link) {
	if l.clogged || l.conn.stalls > 0 || len(l.held) == 0 {
		return
	}
	held := l.held
	l.held = nil
	n := s.nodes[l.from]
	for _, m := range held {
		s.deliverAt(n, l, m, false)
	}
}

// nodeDown resets the connections of a node that crashed or lost power.
func (s *Sim) nodeDown(n *nodeState, how downState) {
	for _, l := range n.out {
		if l == nil {
			continue
		}
		c := l.conn
		back := c.ba // the peer's link to n
		if c.a != n.id {
			back = c.ab
		}
		if how == poweredOff {
			if c.open {
				c.halfOpen = n.id
			}
			s.reset(c, false, 0, 0)
			continue
		}
		c.halfOpen = node.None
		// The dead process's kernel closes its sockets; the peer hears it after
		// the FIN crosses the link.
		wasOpen := c.open
		s.reset(c, false, 0, 0)
		if wasOpen {
			s.notify(l.to, n.id, back.latency.Sample(s.netRand))
		}
	}
}

// PartitionID names an active partition, for Heal.
type PartitionID int

// partition remembers the connections one Partition call affected.
type partition struct {
	oneWay bool
	conns  []*conn
}

// Partition splits the network between groups of nodes: a node cannot reach a node of
// another group (nodes in no group keep all their connections). Each connection
// across the cut is reset at once (in-flight messages are lost, both ends get
// Disconnected: this compresses into one instant the keepalives and request timeouts
// by which Kafka peers notice); while the cut stands, a Send across it is lost and
// the sender gets Disconnected after the connect timeout. Partitions stack; Heal
// removes one.
func (s *Sim) Partition(groups ...[]node.ID) (PartitionID, error) {
	if err := s.checkGroups(groups); err != nil {
		return 0, err
	}
	p := &partition{}
	for i, g := range groups {
		for _, h := range groups[i+1:] {
			for _, a := range g {
				for _, b := range h {
					s.cut(p, a, b)
				}
			}
		}
	}
	return s.addPartition(p, fmt.Sprint(groups)), nil
}

// cut adds the connection between a and b to the symmetric partition p.
func (s *Sim) cut(p *partition, a, b node.ID) {
	c := s.linkTo(s.nodes[a], b).conn
	if c.cuts == 0 {
		s.reset(c, true, 0, 0)
	}
	c.cuts++
	p.conns = append(p.conns, c)
}

// CutPairs is a symmetric partition of the listed node pairs only, for topologies
// that groups cannot express, such as Jepsen's majorities ring (every node sees a
// majority, no two see the same one). Each pair behaves as in Partition.
func (s *Sim) CutPairs(pairs ...[2]node.ID) (PartitionID, error) {
	for _, pr := range pairs {
		if _, err := s.link(pr[0], pr[1]); err != nil {
			return 0, err
		}
	}
	p := &partition{}
	for _, pr := range pairs {
		s.cut(p, pr[0], pr[1])
	}
	return s.addPartition(p, fmt.Sprint(pairs)), nil
}

// PartitionOneWay blocks traffic from the nodes in from to the nodes in to. A TCP
// connection needs both directions (data one way, acknowledgements the other), so
// each affected connection stalls as a whole: what is sent either way is held, in
// order, and flows when the partition heals, unless NetworkConfig.StallTimeout resets
// the connection first.
func (s *Sim) PartitionOneWay(from, to []node.ID) (PartitionID, error) {
	if err := s.checkGroups([][]node.ID{from, to}); err != nil {
		return 0, err
	}
	p := &partition{oneWay: true}
	for _, a := range from {
		for _, b := range to {
			c := s.linkTo(s.nodes[a], b).conn
			if c.stalls == 0 {
				c.stallGen++
				if t := s.cfg.Network.StallTimeout; t > 0 {
					sl, idx := s.alloc(evStall, c.a)
					sl.peer, sl.epoch, sl.n = c.b, c.epoch, int(c.stallGen)
					s.enqueue(s.now+t, idx)
				}
			}
			c.stalls++
			p.conns = append(p.conns, c)
		}
	}
	return s.addPartition(p, fmt.Sprintf("%v->%v", from, to)), nil
}

func (s *Sim) addPartition(p *partition, what string) PartitionID {
	id := s.nextPart
	s.nextPart++
	s.partitions[id] = p
	kind := "partition"
	if p.oneWay {
		kind = "partition-one-way"
	}
	s.traceLine("-", kind, fmt.Sprintf("id=%d %s", id, what))
	s.foldKernel(kPartition, node.ID(id), node.None)
	return id
}

// checkGroups rejects unknown nodes and nodes named twice.
func (s *Sim) checkGroups(groups [][]node.ID) error {
	seen := map[node.ID]bool{}
	for _, g := range groups {
		for _, id := range g {
			if _, err := s.get(id); err != nil {
				return err
			}
			if seen[id] {
				return fmt.Errorf("sim: node %s is in more than one partition group; accepted: disjoint groups", s.nodes[id].name)
			}
			seen[id] = true
		}
	}
	return nil
}

// Heal removes partition id; stalled connections flow again in order.
func (s *Sim) Heal(id PartitionID) error {
	p, ok := s.partitions[id]
	if !ok {
		return fmt.Errorf("sim: no active partition %d", id)
	}
	delete(s.partitions, id)
	for _, c := range p.conns {
		if p.oneWay {
			c.stalls--
			if c.stalls == 0 {
				s.flow(c.ab)
				s.flow(c.ba)
			}
		} else {
			c.cuts--
		}
	}
	s.traceLine("-", "heal", fmt.Sprintf("id=%d", id))
	s.foldKernel(kHeal, node.ID(id), node.None)
	return nil
}

// HealAll removes every partition, oldest first.
func (s *Sim) HealAll() {
	for _, id := range slices.Sorted(maps.Keys(s.partitions)) {
		_ = s.Heal(id)
	}
}

// stallExpired resets a connection still stalled by the stall that scheduled sl.
func (s *Sim) stallExpired(sl *slot) {
	c := s.linkTo(s.nodes[sl.node], sl.peer).conn
	if c.stalls > 0 && c.epoch == sl.epoch && int(c.stallGen) == sl.n {
		s.reset(c, true, 0, 0)
	}
}

// link returns the directed link from a to b after checking both exist.
func (s *Sim) link(from, to node.ID) (*link, error) {
	a, err := s.get(from)
	if err != nil {
		return nil, err
	}
	if _, err := s.get(to); err != nil {
		return nil, err
	}
	if from == to {
		return nil, fmt.Errorf("sim: link from node %s to itself; accepted: two different nodes", a.name)
	}
	return s.linkTo(a, to), nil
}

// Clog holds every message sent from one node to another (one direction) until
// Unclog, then delivers them in order, as FoundationDB's clogging does.
func (s *Sim) Clog(from, to node.ID) error {
	l, err := s.link(from, to)
	if err != nil {
		return err
	}
	l.clogged = true
	s.traceLine("-", "clog", s.nodes[from].name+"->"+s.nodes[to].name)
	s.foldKernel(kClog, from, to)
	return nil
}

// Unclog releases a clogged link: the held messages leave now, in order.
func (s *Sim) Unclog(from, to node.ID) error {
	l, err := s.link(from, to)
	if err != nil {
		return err
	}
	l.clogged = false
	s.traceLine("-", "unclog", s.nodes[from].name+"->"+s.nodes[to].name)
	s.foldKernel(kUnclog, from, to)
	s.flow(l)
	return nil
}

// AddLatency adds extra to every later message from one node to another, on top of
// the link's distribution (0 removes it).
func (s *Sim) AddLatency(from, to node.ID, extra time.Duration) error {
	if extra < 0 {
		return fmt.Errorf("sim: added latency %v is negative; accepted: a duration >= 0", extra)
	}
	l, err := s.link(from, to)
	if err != nil {
		return err
	}
	l.extra = extra
	s.traceLine("-", "latency", fmt.Sprintf("%s->%s +%v", s.nodes[from].name, s.nodes[to].name, extra))
	s.foldKernel(kLatency, from, to)
	return nil
}

// ResetConnection resets the connection between a and b: messages in flight either way
// are lost and both ends get Disconnected now. The next Send opens a new connection.
func (s *Sim) ResetConnection(a, b node.ID) error {
	l, err := s.link(a, b)
	if err != nil {
		return err
	}
	s.reset(l.conn, true, 0, 0)
	return nil
}

// SetLink replaces the latency and bandwidth of the directed link from one node to
// another (the NetworkConfig default applies to the others).
func (s *Sim) SetLink(from, to node.ID, cfg LinkConfig) error {
	if err := cfg.Validate(fmt.Sprintf("links[%d->%d]", from, to)); err != nil {
		return err
	}
	l, err := s.link(from, to)
	if err != nil {
		return err
	}
	l.latency, l.bandwidth = cfg.Latency, cfg.Bandwidth
	return nil
}

// HealNetwork ends every network fault: partitions heal, clogged links release what
// they hold, added latency goes away. Runs call it at the start of their heal phase.
func (s *Sim) HealNetwork() {
	s.HealAll()
	for _, n := range s.nodes {
		if n == nil {
			continue
		}
		for _, l := range n.out {
			if l == nil || l.from != n.id {
				continue
			}
			l.extra = 0
			if l.clogged {
				_ = s.Unclog(l.from, l.to)
			}
		}
	}
}

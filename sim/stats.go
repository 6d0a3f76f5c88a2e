package sim

import (
	"time"

	"logsim/broker/node"
)

// NodeStats are one node's counters since the run began, for reports. Field names are
// stable; units are in the names or types.
type NodeStats struct {
	ID    node.ID
	Name  string
	Cores int
	// CPUBusy is the work charged on all cores together; utilization over an interval
	// is CPUBusy / (Cores * interval).
	CPUBusy time.Duration
	// CoreBusy is the work charged on each core.
	CoreBusy []time.Duration
	// Events is the number of events the node's Machines handled.
	Events uint64
	// MessagesSent and BytesSent count every Send, delivered or not; MessagesLost
	// counts those lost at once to a down node or a partition (messages lost later in
	// a reset are not counted).
	MessagesSent int64
	BytesSent    int64
	MessagesLost int64
	// MessagesReceived and BytesReceived count messages handed to the Machine.
	MessagesReceived int64
	BytesReceived    int64
	// DiskOps counts appends, syncs, truncates and deletes; Fsyncs the syncs alone.
	DiskOps int64
	Fsyncs  int64
	// DiskBytesWritten is the size of the entries appended successfully.
	DiskBytesWritten int64
	// DiskBusy is the time the device spent on operations.
	DiskBusy time.Duration
	// Crashes, PowerLosses and Restarts count lifecycle faults.
	Crashes     int64
	PowerLosses int64
	Restarts    int64
}

// Stats returns node id's counters (a copy).
func (s *Sim) Stats(id node.ID) (NodeStats, error) {
	n, err := s.get(id)
	if err != nil {
		return NodeStats{}, err
	}
	st := n.stats
	st.CoreBusy = append([]time.Duration(nil), n.stats.CoreBusy...)
	return st, nil
}

// AllStats returns every node's counters, in ID order.
func (s *Sim) AllStats() []NodeStats {
	var all []NodeStats
	for _, id := range s.NodeIDs() {
		st, _ := s.Stats(id)
		all = append(all, st)
	}
	return all
}

// TotalStats sums the counters of all nodes (ID node.None, Name "total"; CoreBusy is
// left empty).
func (s *Sim) TotalStats() NodeStats {
	t := NodeStats{ID: node.None, Name: "total"}
	for _, n := range s.nodes {
		if n == nil {
			continue
		}
		st := &n.stats
		t.Cores += st.Cores
		t.CPUBusy += st.CPUBusy
		t.Events += st.Events
		t.MessagesSent += st.MessagesSent
		t.BytesSent += st.BytesSent
		t.MessagesLost += st.MessagesLost
		t.MessagesReceived += st.MessagesReceived
		t.BytesReceived += st.BytesReceived
		t.DiskOps += st.DiskOps
		t.Fsyncs += st.Fsyncs
		t.DiskBytesWritten += st.DiskBytesWritten
		t.DiskBusy += st.DiskBusy
		t.Crashes += st.Crashes
		t.PowerLosses += st.PowerLosses
		t.Restarts += st.Restarts
	}
	return t
}

// CPUUtilization is the fraction of the node's cores busy over elapsed (CPUBusy /
// (Cores * elapsed)), in [0, 1] when elapsed covers the work counted.
func (st NodeStats) CPUUtilization(elapsed time.Duration) float64 {
	if elapsed <= 0 || st.Cores <= 0 {
		return 0
	}
	return float64(st.CPUBusy) / (float64(st.Cores) * float64(elapsed))
}

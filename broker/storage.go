package broker

// Storage: every log change becomes disk operations. Appends land in the page cache at
// once and the broker does not wait for them (Kafka's write() returns once the page
// cache has the data); an fsync happens only when flush.messages or flush.ms call for
// it, and then the append counts as done (StableEnd) only when the fsync completes.
// A write the disk refuses (full, I/O error) takes the broker down, as Kafka halts when
// its only log directory fails.

import (
	"maps"
	"slices"
	"strings"

	"logsim/broker/node"
	"logsim/broker/partition"
	"logsim/broker/proto"
)

// appendBatch appends b (offsets already assigned) to r's log and its segment file.
func (b *Broker) appendBatch(r *replica, batch *proto.RecordBatch) bool {
	info := r.Log.Append(batch, b.now())
	if info.NewEpoch {
		b.appendEpochEntry(r, info.Epoch)
	}
	d := b.env.Disk()
	n := d.Len(info.File)
	d.Append(info.File, node.Entry{Data: batch, Size: batch.SizeBytes, Sum: batch.DiskSum()})
	if d.Len(info.File) != n+1 {
		b.halt("append to " + info.File + " failed")
		return false
	}
	r.Producers.Update(batch)
	b.stats.BytesAppended += int64(batch.SizeBytes)
	b.stats.RecordsAppended += int64(batch.Count())
	if info.NeedsFlush {
		b.flush(r, true)
	}
	if !r.flushing {
		r.StableEnd = r.Log.LogEndOffset()
	}
	return true
}

func (b *Broker) appendEpochEntry(r *replica, e partition.EpochEntry) {
	file := partition.EpochFile(r.Log.Dir)
	b.env.Disk().Append(file, node.Entry{Data: e, Size: partition.EpochEntrySize, Sum: partition.EpochSum(e)})
}

// flush fsyncs r's unflushed segments. A blocking flush (flush.messages, which Kafka
// runs inside the append) holds StableEnd until the fsync completes; a background one
// (flush.ms) does not.
func (b *Broker) flush(r *replica, blocking bool) {
	files, upTo := r.Log.StartFlush()
	if len(files) == 0 {
		return
	}
	var op node.OpID
	for _, f := range files {
		op = b.env.Disk().Sync(f)
		b.stats.Fsyncs++
	}
	b.env.Disk().Sync(partition.EpochFile(r.Log.Dir))
	b.flushOps[op] = flushOp{r: r, upTo: upTo}
	if blocking {
		r.flushing, r.flushOp = true, op
	}
}

type flushOp struct {
	r    *replica
	upTo int64
}

func (b *Broker) diskDone(op node.OpID, err error) {
	if err != nil && err != node.ErrNotFound {
		b.halt("disk operation failed: " + err.Error())
		return
	}
	f, ok := b.flushOps[op]
	if !ok {
		return
	}
	delete(b.flushOps, op)
	r := f.r
	if b.replicaOf(r.TP) != r {
		return
	}
	r.Log.FlushDone(f.upTo)
	b.touch(r)
	if !r.flushing || r.flushOp != op {
		return
	}
	// Appends made during the fsync either started their own blocking flush (and
	// flushOp moved on) or did not need one: everything is stable now.
	r.flushing = false
	r.StableEnd = r.Log.LogEndOffset()
	if r.IsLeader() {
		b.hwMaybeMoved(r, r.MaybeAdvanceHW())
	} else if fe := b.fetchers[r.State.Leader]; fe != nil {
		b.maybeFetch(fe)
	}
}

// flushDue applies flush.ms.
func (b *Broker) flushDue() {
	now := b.now()
	for _, r := range b.replicaList {
		if r.Log.FlushDue(now) {
			b.flush(r, false)
		}
	}
}

// truncate cuts r's log at offset and mirrors it on disk.
func (b *Broker) truncate(r *replica, offset int64) {
	t := r.Truncate(offset)
	if t.Removed == 0 && len(t.Deleted) == 0 && !t.EpochsChanged {
		return
	}
	d := b.env.Disk()
	for _, f := range t.Deleted {
		d.Delete(f)
	}
	if t.File != "" {
		d.Truncate(t.File, t.Entries)
	}
	if t.EpochsChanged {
		d.Truncate(partition.EpochFile(r.Log.Dir), t.EpochEntries)
	}
	b.stats.Truncated += t.Removed
	b.touch(r)
	if t.Removed > 0 {
		b.env.Logf("%s: truncated to %d (%d records removed)", r.TP, t.Offset, t.Removed)
		b.observe(Observation{Kind: ObserveTruncate, TP: r.TP, Epoch: r.State.LeaderEpoch, Offset: t.Offset, Removed: t.Removed})
	}
}

// resetLog empties r's log and restarts it at offset (fetch position below the
// leader's log start).
func (b *Broker) resetLog(r *replica, offset int64) {
	removed := r.Log.LogEndOffset() - r.Log.LogStartOffset()
	for _, f := range r.ResetTo(offset) {
		b.env.Disk().Delete(f)
	}
	b.touch(r)
	if removed > 0 {
		b.observe(Observation{Kind: ObserveTruncate, TP: r.TP, Epoch: r.State.LeaderEpoch, Offset: offset, Removed: removed})
	}
	b.observe(Observation{Kind: ObserveLogStart, TP: r.TP, Epoch: r.State.LeaderEpoch, Offset: offset})
}

// applyRetention deletes expired segments of every replica.
func (b *Broker) applyRetention() {
	now := b.now()
	for _, r := range b.replicaList {
		ret := r.Log.ApplyRetention(now, r.HW)
		if len(ret.Deleted) == 0 {
			continue
		}
		for _, f := range ret.Deleted {
			b.env.Disk().Delete(f)
		}
		b.touch(r)
		b.observe(Observation{Kind: ObserveLogStart, TP: r.TP, Epoch: r.State.LeaderEpoch, Offset: ret.LogStartOffset})
	}
}

// recover rebuilds every replica from the disk after a restart: segments are read and
// validated, a damaged tail is cut, and the leader-epoch cache is reloaded.
func (b *Broker) recover() {
	d := b.env.Disk()
	byDir := map[string][]string{}
	for _, f := range d.Files() {
		i := strings.IndexByte(f, '/')
		if i < 0 {
			continue
		}
		byDir[f[:i]] = append(byDir[f[:i]], f)
	}
	dirs := slices.Sorted(maps.Keys(byDir))
	for _, dir := range dirs {
		tp, err := parseLogDir(dir)
		if err != nil {
			continue
		}
		var segs []partition.RecoveredSegment
		files := byDir[dir]
		slices.Sort(files)
		for _, f := range files {
			if _, ok := partition.SegmentBase(f); !ok {
				continue
			}
			entries, err := d.Read(f, 0)
			if err != nil {
				b.halt("reading " + f + ": " + err.Error())
				return
			}
			segs = append(segs, partition.RecoveredSegment{File: f, Entries: entries})
		}
		epochs, _ := d.Read(partition.EpochFile(dir), 0)
		log, res := partition.Recover(dir, b.cfg.Log, segs, epochs, b.now())
		if res.TruncateFile != "" {
			d.Truncate(res.TruncateFile, res.TruncateEntries)
		}
		for _, f := range res.DeleteFiles {
			d.Delete(f)
		}
		if res.EpochEntries < len(epochs) {
			d.Truncate(partition.EpochFile(dir), res.EpochEntries)
		} else if res.EpochEntries > len(epochs) {
			for _, e := range log.Epochs()[len(epochs):] {
				d.Append(partition.EpochFile(dir), node.Entry{Data: e, Size: partition.EpochEntrySize, Sum: partition.EpochSum(e)})
			}
		}
		r := &replica{Replica: partition.NewReplica(tp, b.id, log)}
		b.addReplica(r)
		b.touch(r)
		if res.Corrupt > 0 {
			b.env.Logf("%s: recovery dropped %d damaged entries, log end %d", tp, res.Corrupt, log.LogEndOffset())
			b.observe(Observation{Kind: ObserveTruncate, TP: tp, Epoch: log.LatestEpoch(), Offset: log.LogEndOffset(), Removed: -int64(res.Corrupt)})
		}
	}
}

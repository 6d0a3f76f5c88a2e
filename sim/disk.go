package sim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"logsim/broker/node"
)

// diskOpKind is the kind of a disk operation, for its completion.
type diskOpKind uint8

const (
	opAppend diskOpKind = iota + 1
	opSync
	opTruncate
	opDelete
)

// damageMask flips bits of a checksum so that a damaged entry never matches.
const damageMask = 0xdeadbeef

// file is one file: the page-cache view (what reads see) and the durable view (what
// survives a power loss). Entries are values holding a reference to immutable Data, so
// a file costs a few words per entry whatever the payload size.
type file struct {
	name  string
	cache []node.Entry
	// durable is what a power loss keeps. While prefix is true it holds the same
	// entries as cache[:len(durable)], often sharing its array (safe: cache only
	// grows in place, and a truncate copies).
	durable       []node.Entry
	prefix        bool
	exists        bool // the file exists in the page cache
	durableExists bool // the file's creation is durable
	bytes         int64
}

// disk is a node's storage device: files, a page cache, and one queue of operations.
type disk struct {
	n         *nodeState
	rnd       *rand.Rand
	files     map[string]*file
	used      int64
	busyUntil time.Duration
	gen       uint32 // bumped by power loss: operations in flight are lost
	ops       node.OpID

	// Writeback: the files that were dirty when the pending writeback was scheduled,
	// and how many entries each held then.
	dirty        []flushMark
	flushPending bool

	full  bool          // fault: every append fails with ErrDiskFull
	ioErr float64       // fault: probability that an operation fails with ErrIO
	slow  time.Duration // fault: added to every operation
}

func newDisk(n *nodeState, rnd *rand.Rand) *disk {
	return &disk{n: n, rnd: rnd, files: map[string]*file{}}
}

func (d *disk) failIO() bool { return d.ioErr > 0 && d.rnd.Float64() < d.ioErr }

// lookup returns the file an operation on name works on (nil if never written) and the
// error the operation meets: ErrNotFound, else an injected ErrIO (drawn only for a file
// that exists, so the random stream moves as it always has).
func (d *disk) lookup(name string) (*file, error) {
	f := d.files[name]
	switch {
	case f == nil || !f.exists:
		return f, node.ErrNotFound
	case d.failIO():
		return f, node.ErrIO
	}
	return f, nil
}

// Append implements node.Disk. The entry is in the page cache (visible to Read) when
// Append returns; the completion comes after the device has written it.
func (d *disk) Append(name string, e node.Entry) node.OpID {
	if e.Size < 0 {
		panic(d.n.s.assertf("node %s: Append to %s of an entry with negative Size %d", d.n.name, name, e.Size))
	}
	size := int64(e.Size)
	var err error
	switch {
	case d.full || (d.n.cfg.Disk.Capacity > 0 && d.used+size > d.n.cfg.Disk.Capacity):
		err = node.ErrDiskFull
	case d.failIO():
		err = node.ErrIO
	default:
		f := d.files[name]
		if f == nil {
			f = &file{name: name, prefix: true}
			d.files[name] = f
		}
		f.exists = true
		f.cache = append(f.cache, e)
		f.bytes += size
		d.used += size
		d.n.stats.DiskBytesWritten += size
		if d.n.cfg.Disk.Writeback > 0 && !d.flushPending {
			d.scheduleWriteback()
		}
	}
	cost := d.n.cfg.Disk.OpLatency.Sample(d.rnd) + serialize(size, d.n.cfg.Disk.Bandwidth)
	return d.complete(opAppend, nil, 0, err, cost)
}

// Sync implements node.Disk: when it completes, what the page cache held at the call
// is durable.
func (d *disk) Sync(name string) node.OpID {
	f, err := d.lookup(name)
	n := 0
	if f != nil {
		n = len(f.cache)
	}
	d.n.stats.Fsyncs++
	return d.complete(opSync, f, n, err, d.n.cfg.Disk.SyncLatency.Sample(d.rnd))
}

// Truncate implements node.Disk. The page cache is cut at once; the durable state
// changes only with the next completed Sync.
func (d *disk) Truncate(name string, n int) node.OpID {
	if n < 0 {
		panic(d.n.s.assertf("node %s: Truncate of %s to negative length %d", d.n.name, name, n))
	}
	f, err := d.lookup(name)
	if err == nil && n < len(f.cache) {
		for _, e := range f.cache[n:] {
			f.bytes -= int64(e.Size)
			d.used -= int64(e.Size)
		}
		// Copy, so that entries handed out by Read are never overwritten and the
		// durable view keeps its own array.
		f.cache = slices.Clone(f.cache[:n])
		f.prefix = f.prefix && n >= len(f.durable)
	}
	return d.complete(opTruncate, f, n, err, d.n.cfg.Disk.OpLatency.Sample(d.rnd))
}

// Delete implements node.Disk. The file disappears from the page cache at once and
// from durable storage when the operation completes.
func (d *disk) Delete(name string) node.OpID {
	f, err := d.lookup(name)
	if err == nil {
		d.used -= f.bytes
		f.cache, f.bytes, f.exists, f.prefix = nil, 0, false, false
	}
	return d.complete(opDelete, f, 0, err, d.n.cfg.Disk.OpLatency.Sample(d.rnd))
}

// Read implements node.Disk. The returned slice shares the page cache's array; it is
// never overwritten (appends go past it, truncates copy), but callers must not modify
// it.
func (d *disk) Read(name string, from int) ([]node.Entry, error) {
	if from < 0 {
		panic(d.n.s.assertf("node %s: Read of %s from negative index %d", d.n.name, name, from))
	}
	if d.failIO() {
		return nil, node.ErrIO
	}
	f := d.files[name]
	if f == nil || !f.exists {
		return nil, node.ErrNotFound
	}
	if from >= len(f.cache) {
		return nil, nil
	}
	return f.cache[from:len(f.cache):len(f.cache)], nil
}

// Len implements node.Disk.
func (d *disk) Len(name string) int {
	if f := d.files[name]; f != nil {
		return len(f.cache)
	}
	return 0
}

// Files implements node.Disk.
func (d *disk) Files() []string {
	names := make([]string, 0, len(d.files))
	for name, f := range d.files {
		if f.exists {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// complete queues the operation on the device: it starts when the handler's charged
// work is done and the previous operation has finished, and lasts cost.
func (d *disk) complete(kind diskOpKind, f *file, n int, err error, cost time.Duration) node.OpID {
	s := d.n.s
	d.ops++
	cost += d.slow
	start := max(d.n.effectAt(), d.busyUntil)
	d.busyUntil = start + cost
	d.n.stats.DiskOps++
	d.n.stats.DiskBusy += cost
	sl, idx := s.alloc(evDiskDone, d.n.id)
	sl.diskOp, sl.file, sl.n, sl.err = kind, f, n, err
	sl.op = d.ops
	sl.inc = d.n.inc
	sl.epoch = d.gen
	s.enqueue(start+cost, idx)
	return d.ops
}

// diskComplete applies the durable effect of a finished operation. It runs even if
// the process crashed meanwhile (the kernel finishes the work), not after power loss.
func (s *Sim) diskComplete(sl *slot) {
	d := s.nodes[sl.node].disk
	f := sl.file
	if sl.epoch != d.gen || sl.err != nil || f == nil {
		return
	}
	switch sl.diskOp {
	case opSync:
		if f.exists {
			f.durable = f.cache[:min(sl.n, len(f.cache))]
			f.prefix = true
			f.durableExists = true
		}
	case opDelete:
		f.durable, f.durableExists, f.prefix = nil, false, true
		if !f.exists {
			delete(d.files, f.name)
		}
	}
}

// flushMark is a dirty file and its length when the writeback was scheduled.
type flushMark struct {
	f *file
	n int
}

// scheduleWriteback notes the dirty files and schedules their writeback.
func (d *disk) scheduleWriteback() {
	d.dirty = d.dirty[:0]
	for _, name := range d.Files() {
		if f := d.files[name]; !f.prefix || len(f.cache) > len(f.durable) || !f.durableExists {
			d.dirty = append(d.dirty, flushMark{f, len(f.cache)})
		}
	}
	if len(d.dirty) == 0 {
		return
	}
	d.flushPending = true
	s := d.n.s
	sl, idx := s.alloc(evWriteback, d.n.id)
	sl.epoch = d.gen
	s.enqueue(later(s.now, d.n.cfg.Disk.Writeback), idx)
}

// writeback makes durable what the dirty files held when it was scheduled, as a Sync
// would, then looks again if there is newer dirty data.
func (d *disk) writeback() {
	d.flushPending = false
	for _, m := range d.dirty {
		if f := m.f; f.exists && d.files[f.name] == f {
			f.durable = f.cache[:min(m.n, len(f.cache))]
			f.prefix, f.durableExists = true, true
		}
	}
	d.scheduleWriteback()
}

// powerLoss leaves only durable state, with perhaps one torn entry per file.
func (d *disk) powerLoss() {
	d.gen++
	d.flushPending = false
	d.dirty = d.dirty[:0]
	d.busyUntil = d.n.s.now
	d.used = 0
	names := slices.Sorted(maps.Keys(d.files))
	p := d.n.cfg.Disk.TornWriteProbability
	for _, name := range names {
		f := d.files[name]
		if !f.durableExists {
			delete(d.files, name)
			continue
		}
		kept := slices.Clone(f.durable)
		if f.prefix && len(f.cache) > len(f.durable) && p > 0 && d.rnd.Float64() < p {
			kept = append(kept, tear(f.cache[len(f.durable)], d.rnd))
		}
		f.cache, f.durable, f.prefix, f.exists = kept, kept, true, true
		f.bytes = 0
		for _, e := range kept {
			f.bytes += int64(e.Size)
		}
		d.used += f.bytes
	}
}

// tear cuts e at the last 512-byte or 4 KiB boundary before its end, as a write cut off
// by power loss leaves it, and damages its checksum.
func tear(e node.Entry, r *rand.Rand) node.Entry {
	boundary := int32(512)
	if r.IntN(2) == 1 {
		boundary = 4096
	}
	if e.Size > 0 {
		e.Size = (e.Size - 1) / boundary * boundary
	}
	e.Sum ^= damageMask
	return e
}

// corrupt damages entries [from, to) of f on the medium, in both views.
func (f *file) corrupt(from, to int) {
	aliased := len(f.durable) > 0 && len(f.cache) > 0 && &f.durable[0] == &f.cache[0]
	for i := from; i < to; i++ {
		if i < len(f.cache) {
			f.cache[i].Sum ^= damageMask
		}
		if i < len(f.durable) && !aliased {
			f.durable[i].Sum ^= damageMask
		}
	}
}

// Disk faults.

func (s *Sim) diskFile(id node.ID, name string) (*nodeState, *file, error) {
	n, err := s.get(id)
	if err != nil {
		return nil, nil, err
	}
	f := n.disk.files[name]
	if f == nil || !f.exists {
		return nil, nil, fmt.Errorf("sim: node %s has no file %q; files: %v", n.name, name, n.disk.Files())
	}
	return n, f, nil
}

// CorruptEntries damages entries [from, to) of a file on node id's disk: reads return
// them with Sum altered, so the reader's checksum fails. The damage is on the medium:
// it survives crashes and goes away only with the entries (truncate, delete).
func (s *Sim) CorruptEntries(id node.ID, name string, from, to int) error {
	n, f, err := s.diskFile(id, name)
	if err != nil {
		return err
	}
	if from < 0 || to > len(f.cache) || from >= to {
		return fmt.Errorf("sim: corrupt %s on %s: range [%d, %d) is not within the file's %d entries", name, n.name, from, to, len(f.cache))
	}
	f.corrupt(from, to)
	s.traceLine(n.name, "corrupt", fmt.Sprintf("%s entries [%d,%d)", name, from, to))
	s.foldKernel(kCorrupt, id, node.ID(from))
	return nil
}

// CorruptBytes damages every entry that overlaps the byte range [off, off+length) of a
// file, counting entry sizes from the start of the file.
func (s *Sim) CorruptBytes(id node.ID, name string, off, length int64) error {
	n, f, err := s.diskFile(id, name)
	if err != nil {
		return err
	}
	if off < 0 || length <= 0 || off+length > f.bytes {
		return fmt.Errorf("sim: corrupt %s on %s: bytes [%d, %d) are not within the file's %d bytes", name, n.name, off, off+length, f.bytes)
	}
	var pos int64
	from, to := -1, 0
	for i, e := range f.cache {
		end := pos + int64(e.Size)
		if end > off && pos < off+length {
			if from < 0 {
				from = i
			}
			to = i + 1
		}
		pos = end
	}
	return s.CorruptEntries(id, name, from, to)
}

// SetDiskFull makes every later append on node id fail with ErrDiskFull (or stop
// failing), whatever the capacity.
func (s *Sim) SetDiskFull(id node.ID, full bool) error {
	n, err := s.get(id)
	if err != nil {
		return err
	}
	n.disk.full = full
	s.traceLine(n.name, "disk-full", fmt.Sprint(full))
	s.foldKernel(kDiskFault, id, node.None)
	return nil
}

// SetDiskErrorRate makes each later disk operation on node id (reads included) fail
// with ErrIO with probability p; a failed write changes nothing.
func (s *Sim) SetDiskErrorRate(id node.ID, p float64) error {
	if err := checkProbability("disk error rate", p); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	n, err := s.get(id)
	if err != nil {
		return err
	}
	n.disk.ioErr = p
	s.traceLine(n.name, "disk-errors", fmt.Sprint(p))
	s.foldKernel(kDiskFault, id, node.None)
	return nil
}

// SetDiskSlow adds extra to every later disk operation on node id (0 removes it).
func (s *Sim) SetDiskSlow(id node.ID, extra time.Duration) error {
	if extra < 0 {
		return fmt.Errorf("sim: disk slowdown %v is negative; accepted: a duration >= 0", extra)
	}
	n, err := s.get(id)
	if err != nil {
		return err
	}
	n.disk.slow = extra
	s.traceLine(n.name, "disk-slow", extra.String())
	s.foldKernel(kDiskFault, id, node.None)
	return nil
}

// DurableLen is the number of entries of a file on node id that a power loss would
// keep now (torn writes aside), for tests and invariant checks.
func (s *Sim) DurableLen(id node.ID, name string) int {
	n := s.lookup(id)
	if n == nil {
		return 0
	}
	if f := n.disk.files[name]; f != nil && f.durableExists {
		return len(f.durable)
	}
	return 0
}

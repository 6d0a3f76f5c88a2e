package sim

import (
	"fmt"
	"math/bits"
	"strconv"
	"time"

	"logsim/broker/node"
)

// hashSeed starts the fingerprint (xored with the master seed).
const hashSeed = 0x6c6f6773696d3031

// Kernel actions folded into the fingerprint besides Machine events; the values
// continue node.EventKind's.
const (
	kStart = 16 + iota
	kRestart
	kCrash
	kPowerLoss
	kPause
	kResume
	kSkew
	kReset
	kPartition
	kHeal
	kClog
	kUnclog
	kLatency
	kCorrupt
	kDiskFault
	kExec
)

// mix folds one word into the fingerprint.
func (s *Sim) mix(v uint64) {
	s.hash = bits.RotateLeft64((s.hash^v)*0x9e3779b97f4a7c15, 29)
}

func (s *Sim) mixString(str string) {
	var w uint64
	for i := 0; i < len(str); i++ {
		w = w<<8 | uint64(str[i])
		if i%8 == 7 {
			s.mix(w)
			w = 0
		}
	}
	s.mix(w ^ uint64(len(str))<<56)
}

// record folds a dispatched Machine event into the fingerprint and prints its trace
// line. ev.Kind 0 stands for a Post.
func (s *Sim) record(n *nodeState, ev *node.Event) {
	s.events++
	n.stats.Events++
	s.mix(uint64(s.now))
	s.mix(uint64(uint32(n.id)) | uint64(ev.Kind)<<32)
	switch ev.Kind {
	case node.Recv:
		s.mix(uint64(uint32(ev.From)))
		s.mixString(ev.Msg.Kind())
		s.mix(uint64(ev.Msg.Size()))
	case node.TimerFired:
		s.mix(uint64(uint32(ev.Timer.Kind)))
		s.mix(uint64(ev.Timer.Arg))
	case node.DiskDone:
		s.mix(uint64(ev.Op))
		if ev.Err != nil {
			s.mixString(ev.Err.Error())
		}
	case node.Disconnected:
		s.mix(uint64(uint32(ev.From)))
	default:
		s.mix(kExec)
	}
	if s.trace != nil {
		s.traceEvent(n, ev)
	}
}

// foldKernel folds a kernel action (lifecycle change or fault) into the fingerprint.
func (s *Sim) foldKernel(kind int, a, b node.ID) {
	s.mix(uint64(s.now))
	s.mix(uint64(kind)<<32 | uint64(uint32(a)))
	s.mix(uint64(uint32(b)))
}

// lifecycle records a lifecycle change of n.
func (s *Sim) lifecycle(n *nodeState, kind, detail string) {
	k := kSkew
	switch kind {
	case "start":
		k = kStart
	case "restart":
		k = kRestart
	case "crash":
		k = kCrash
	case "powerloss":
		k = kPowerLoss
	case "pause":
		k = kPause
	case "resume":
		k = kResume
	}
	s.foldKernel(k, n.id, node.None)
	s.traceLine(n.name, kind, detail)
}

// traceEvent prints one dispatched event: time, node, kind, summary.
func (s *Sim) traceEvent(n *nodeState, ev *node.Event) {
	var sum string
	switch ev.Kind {
	case node.Recv:
		sum = fmt.Sprintf("from=%s %s size=%d", s.Name(ev.From), ev.Msg.Kind(), ev.Msg.Size())
		if str, ok := ev.Msg.(fmt.Stringer); ok {
			sum += " " + str.String()
		}
	case node.TimerFired:
		sum = fmt.Sprintf("kind=%d arg=%d", ev.Timer.Kind, ev.Timer.Arg)
	case node.DiskDone:
		sum = fmt.Sprintf("op=%d", ev.Op)
		if ev.Err != nil {
			sum += " err=" + strconv.Quote(ev.Err.Error())
		}
	case node.Disconnected:
		sum = "peer=" + s.Name(ev.From)
	default:
		s.traceLine(n.name, "exec", "")
		return
	}
	s.traceLine(n.name, ev.Kind.String(), sum)
}

// traceLine writes "time node kind summary" to the trace, if tracing.
func (s *Sim) traceLine(who, kind, summary string) {
	if s.trace == nil {
		return
	}
	b := s.line[:0]
	b = appendTime(b, s.now)
	b = append(b, ' ')
	b = append(b, who...)
	b = append(b, ' ')
	b = append(b, kind...)
	if summary != "" {
		b = append(b, ' ')
		b = append(b, summary...)
	}
	b = append(b, '\n')
	s.line = b
	_, _ = s.trace.Write(b)
}

// appendTime formats t as seconds with nine decimals ("1.000250000s"), so that lines
// sort and compare exactly.
func appendTime(b []byte, t time.Duration) []byte {
	if t < 0 {
		b = append(b, '-')
		t = -t
	}
	b = strconv.AppendInt(b, int64(t/time.Second), 10)
	b = append(b, '.')
	frac := strconv.AppendInt(nil, int64(t%time.Second)+int64(time.Second), 10)
	b = append(b, frac[1:]...)
	return append(b, 's')
}

// FormatTime formats a virtual time as the trace does.
func FormatTime(t time.Duration) string { return string(appendTime(nil, t)) }

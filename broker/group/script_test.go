package group

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/broker/node"
	"logsim/broker/proto"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/*.txt")

// TestScripts runs the coordinator scripts in testdata. Each block is a command line,
// "----", and the expected output; a blank line ends it. Lines starting with # are
// comments. If a script fails, run `go test ./broker/group -run TestScripts -rewrite`
// and read the diff: only commit it if you understand what changed.
//
// Commands (members are named by their node, n1, n2, ...; the script never sees the
// generated member ids):
//
//	join NODE [topics=a,b] [protocols=range,roundrobin] [session=10s] [rebalance=30s] [new]
//	sync NODE [gen=N] [assign=n1:t/0+t/1,n2:t/2]   gen defaults to the node's last
//	heartbeat NODE [gen=N]
//	leave NODE
//	commit NODE [gen=N] t/0=5,t/1=7                    gen=-1 commits as a simple consumer
//	offsets [t/0,t/1]
//	hold | release [err=NAME]                          keep appends pending, then finish them
//	tick DURATION                                      advance time, run deadlines
//	failover                                           a new coordinator loads the log
//	describe
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runScript(t, f) })
	}
}

type script struct {
	t       *testing.T
	c       *Coordinator
	now     time.Duration
	log     []proto.Record
	hold    bool
	held    []Append
	corr    int64
	members map[string]string // node name -> member id
	gens    map[string]int32  // node name -> last generation seen
	seed    uint64
}

func runScript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.GroupInitialRebalanceDelay = 0
	cfg.OffsetsTopicNumPartitions = 1
	s := &script{t: t, c: New(cfg, 1), members: map[string]string{}, gens: map[string]int32{}, seed: 1}
	s.c.Load(0, nil, 0)
	var out strings.Builder
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			out.WriteString(line + "\n")
			continue
		}
		require.Less(t, i+1, len(lines), "%s:%d: command without ----", file, i+1)
		require.Equal(t, "----", lines[i+1], "%s:%d: want ---- after the command", file, i+2)
		j := i + 2
		var want []string
		for j < len(lines) && lines[j] != "" {
			want = append(want, lines[j])
			j++
		}
		got := s.run(line)
		if !*rewrite {
			require.Equal(t, strings.Join(want, "\n"), got, "%s:%d: %s", file, i+1, line)
		}
		out.WriteString(line + "\n----\n" + got + "\n")
		i = j - 1
	}
	if *rewrite {
		require.NoError(t, os.WriteFile(file, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644))
	}
}

func (s *script) nodeID(name string) node.ID {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "n"))
	require.NoError(s.t, err, "node names are n1, n2, ...: %q", name)
	return node.ID(n)
}

// name maps a member id back to its node name for printing.
func (s *script) name(memberID string) string {
	for n, id := range s.members {
		if id == memberID {
			return n
		}
	}
	if memberID == "" {
		return `""`
	}
	return "?" + memberID
}

func parseArgs(words []string) map[string]string {
	args := map[string]string{}
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		args[k] = v
	}
	return args
}

func parseTPList(s string) []proto.TopicPartition {
	var out []proto.TopicPartition
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '+' || r == ',' }) {
		tp, err := proto.ParseTopicPartition(f)
		if err != nil {
			panic(err)
		}
		out = append(out, tp)
	}
	return out
}

func (s *script) run(line string) string {
	words := strings.Fields(line)
	args := parseArgs(words[1:])
	var e Effects
	switch words[0] {
	case "join":
		n := words[1]
		req := &proto.JoinGroupRequest{GroupID: "g", MemberID: s.members[n], ClientID: n, SessionTimeout: dur(args, "session", 10*time.Second),
			RebalanceTimeout: dur(args, "rebalance", 30*time.Second), ProtocolType: proto.ConsumerProtocolType}
		if _, ok := args["new"]; ok {
			req.MemberID = ""
		}
		topics := strings.Split(orDefault(args["topics"], "orders"), ",")
		for _, p := range strings.Split(orDefault(args["protocols"], "range"), ",") {
			req.Protocols = append(req.Protocols, proto.JoinGroupProtocol{Name: p, Metadata: proto.ConsumerSubscription{Topics: topics}})
		}
		req.Correlation = s.nextCorr()
		e = s.c.JoinGroup(s.now, s.nodeID(n), req)
	case "sync":
		n := words[1]
		req := &proto.SyncGroupRequest{Correlation: s.nextCorr(), GroupID: "g", GenerationID: s.gen(n, args), MemberID: s.members[n]}
		if a := args["assign"]; a != "" {
			for _, part := range strings.Split(a, ",") {
				who, tps, _ := strings.Cut(part, ":")
				req.Assignments = append(req.Assignments, proto.SyncGroupAssignment{MemberID: s.members[who], Assignment: proto.ConsumerAssignment{Partitions: parseTPList(tps)}})
			}
		}
		e = s.c.SyncGroup(s.now, s.nodeID(n), req)
	case "heartbeat":
		n := words[1]
		e = s.c.Heartbeat(s.now, s.nodeID(n), &proto.HeartbeatRequest{Correlation: s.nextCorr(), GroupID: "g", GenerationID: s.gen(n, args), MemberID: s.members[n]})
	case "leave":
		n := words[1]
		e = s.c.LeaveGroup(s.now, s.nodeID(n), &proto.LeaveGroupRequest{Correlation: s.nextCorr(), GroupID: "g", Members: []string{s.members[n]}})
	case "commit":
		n := words[1]
		req := &proto.OffsetCommitRequest{Correlation: s.nextCorr(), GroupID: "g", GenerationID: s.gen(n, args), MemberID: s.members[n]}
		if req.GenerationID < 0 {
			req.MemberID = ""
		}
		for _, w := range words[2:] {
			if strings.HasPrefix(w, "gen=") {
				continue
			}
			for _, kv := range strings.Split(w, ",") {
				k, v, _ := strings.Cut(kv, "=")
				tp, err := proto.ParseTopicPartition(k)
				require.NoError(s.t, err)
				off, err := strconv.ParseInt(v, 10, 64)
				require.NoError(s.t, err)
				req.Partitions = append(req.Partitions, proto.OffsetCommitPartition{TopicPartition: tp, CommittedOffset: off, CommittedLeaderEpoch: -1})
			}
		}
		e = s.c.OffsetCommit(s.now, s.nodeID(n), req)
	case "offsets":
		req := &proto.OffsetFetchRequest{Correlation: s.nextCorr(), GroupID: "g"}
		if len(words) > 1 {
			req.Partitions = parseTPList(words[1])
		}
		e = s.c.OffsetFetch(s.now, 99, req)
	case "hold":
		s.hold = true
		return "appends held"
	case "release":
		s.hold = false
		err := proto.NONE
		if name := args["err"]; name != "" {
			code, ok := proto.ErrorCodeByName(name)
			require.True(s.t, ok, "unknown error %s", name)
			err = code
		}
		held := s.held
		s.held = nil
		var out []string
		for _, a := range held {
			out = append(out, s.apply(s.complete(a, err))...)
		}
		return s.join(out)
	case "tick":
		d, err := time.ParseDuration(words[1])
		require.NoError(s.t, err)
		s.now += d
		e = s.c.Tick(s.now)
	case "failover":
		out := s.apply(s.c.Unload(0))
		s.hold, s.held = false, nil // appends in flight die with the old coordinator
		s.seed++
		s.c = New(s.c.Config(), s.seed)
		skipped := s.c.Load(0, s.log, s.now)
		out = append(out, fmt.Sprintf("loaded %d records (%d skipped)", len(s.log), skipped))
		return s.join(out)
	case "describe":
		return s.describe()
	default:
		s.t.Fatalf("unknown command %q", words[0])
	}
	return s.join(s.apply(e))
}

func (s *script) join(lines []string) string {
	if len(lines) == 0 {
		return "no reply"
	}
	return strings.Join(lines, "\n")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func dur(args map[string]string, k string, def time.Duration) time.Duration {
	if v := args[k]; v != "" {
		d, err := time.ParseDuration(v)
		if err == nil {
			return d
		}
	}
	return def
}

func (s *script) gen(n string, args map[string]string) int32 {
	if v := args["gen"]; v != "" {
		g, _ := strconv.Atoi(v)
		return int32(g)
	}
	if g, ok := s.gens[n]; ok {
		return g
	}
	return proto.NoGeneration
}

func (s *script) nextCorr() int64 {
	s.corr++
	return s.corr
}

func (s *script) complete(a Append, err proto.ErrorCode) Effects {
	if err == proto.NONE {
		s.log = append(s.log, a.Records...)
	}
	return s.c.AppendDone(a.ID, err, s.now)
}

// apply completes appends (unless held) and prints every reply, sorted by node.
func (s *script) apply(e Effects) []string {
	var out []string
	for _, a := range e.Appends {
		kinds := map[string]int{}
		for _, r := range a.Records {
			kinds[strings.Fields(r.Key)[0]]++
		}
		var ks []string
		for k, n := range kinds {
			ks = append(ks, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(ks)
		out = append(out, fmt.Sprintf("append to __consumer_offsets/%d: %s record(s)", a.Partition, strings.Join(ks, ", ")))
		if s.hold {
			s.held = append(s.held, a)
			continue
		}
		out = append(out, s.apply(s.complete(a, proto.NONE))...)
	}
	replies := slices.Clone(e.Replies)
	sort.SliceStable(replies, func(i, j int) bool { return replies[i].To < replies[j].To })
	for _, r := range replies {
		out = append(out, fmt.Sprintf("-> n%d %s", r.To, s.describeMsg(r.To, r.Msg)))
	}
	return out
}

func (s *script) describeMsg(to node.ID, m node.Message) string {
	n := fmt.Sprintf("n%d", to)
	switch m := m.(type) {
	case *proto.JoinGroupResponse:
		if m.Err == proto.MEMBER_ID_REQUIRED {
			s.members[n] = m.MemberID
			return "JoinGroup MEMBER_ID_REQUIRED (member id assigned)"
		}
		if m.Err != proto.NONE {
			return "JoinGroup " + m.Err.String()
		}
		s.members[n] = m.MemberID
		s.gens[n] = m.GenerationID
		line := fmt.Sprintf("JoinGroup generation=%d protocol=%s leader=%s", m.GenerationID, m.ProtocolName, s.name(m.Leader))
		if len(m.Members) > 0 {
			var ms []string
			for _, x := range m.Members {
				ms = append(ms, s.name(x.MemberID))
			}
			line += " members=" + strings.Join(ms, ",")
		}
		return line
	case *proto.SyncGroupResponse:
		if m.Err != proto.NONE {
			return "SyncGroup " + m.Err.String()
		}
		return fmt.Sprintf("SyncGroup assignment=%v", tpStrings(m.Assignment.Partitions))
	case *proto.HeartbeatResponse:
		return "Heartbeat " + m.Err.String()
	case *proto.LeaveGroupResponse:
		return "LeaveGroup " + m.Err.String()
	case *proto.OffsetCommitResponse:
		var ps []string
		for _, p := range m.Partitions {
			ps = append(ps, p.TopicPartition.String()+" "+p.Err.String())
		}
		return "OffsetCommit " + strings.Join(ps, ", ")
	case *proto.OffsetFetchResponse:
		if m.Err != proto.NONE {
			return "OffsetFetch " + m.Err.String()
		}
		var ps []string
		for _, p := range m.Partitions {
			ps = append(ps, fmt.Sprintf("%s=%d", p.TopicPartition, p.CommittedOffset))
		}
		return "OffsetFetch " + strings.Join(ps, " ")
	}
	return m.Kind()
}

func tpStrings(tps []proto.TopicPartition) []string {
	out := []string{}
	for _, tp := range tps {
		out = append(out, tp.String())
	}
	return out
}

func (s *script) describe() string {
	gi, ok := s.c.Describe("g")
	if !ok {
		return "no group"
	}
	out := []string{fmt.Sprintf("state=%s generation=%d protocol=%s leader=%s", gi.State, gi.Generation, gi.Protocol, s.name(gi.Leader))}
	for _, m := range gi.Members {
		out = append(out, fmt.Sprintf("  %s: %v", s.name(m.MemberID), tpStrings(m.Assignment)))
	}
	var tps []proto.TopicPartition
	for tp := range gi.Offsets {
		tps = append(tps, tp)
	}
	slices.SortFunc(tps, proto.TopicPartition.Compare)
	for _, tp := range tps {
		out = append(out, fmt.Sprintf("  committed %s=%d", tp, gi.Offsets[tp].Offset))
	}
	return strings.Join(out, "\n")
}

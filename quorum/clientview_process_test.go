package quorum_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/session"
)

// zconn is a raw Jute client connection: it sends frames as a client
// library would and reads the replies, so a test can keep a connection
// open after its session moved elsewhere, as no client library does.
type zconn struct {
	t  *testing.T
	nc net.Conn
	id int64
	pw []byte
	to int32
}

// dialSession connects to addr and resumes session id with pw (0 and nil
// for a new session); extra frames are sent right behind the
// ConnectRequest, before its answer, as the Java client's primeConnection
// sends SetWatches and auth packets.
func dialSession(t *testing.T, addr string, id int64, pw []byte, extra ...[]byte) *zconn {
	t.Helper()
	return dialSessionTimeout(t, addr, 10000, id, pw, extra...)
}

// dialSessionTimeout is dialSession asking for a session timeout of ms.
func dialSessionTimeout(t *testing.T, addr string, ms int32, id int64, pw []byte, extra ...[]byte) *zconn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if pw == nil {
		pw = make([]byte, 16)
	}
	c := &zconn{t: t, nc: nc}
	c.send(jute.Marshal(&zkproto.ConnectRequest{TimeOut: ms, SessionID: id, Passwd: pw}))
	for _, f := range extra {
		c.send(f)
	}
	b, err := c.recv(10 * time.Second)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	var resp zkproto.ConnectResponse
	if err := jute.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	c.id, c.pw, c.to = resp.SessionID, resp.Passwd, resp.TimeOut
	return c
}

func request(xid int32, op zkproto.OpCode, rec jute.Record) []byte {
	e := jute.Encoder{}
	h := zkproto.RequestHeader{Xid: xid, Type: op}
	h.Encode(&e)
	if rec != nil {
		rec.Encode(&e)
	}
	return e.Buf
}

func (c *zconn) send(body []byte) {
	c.t.Helper()
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	if _, err := c.nc.Write(append(frame, body...)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *zconn) recv(d time.Duration) ([]byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	var l [4]byte
	if _, err := io.ReadFull(c.nc, l[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(l[:]))
	_, err := io.ReadFull(c.nc, b)
	return b, err
}

// reply reads the next frame that is not a watch event.
func (c *zconn) reply(d time.Duration) (zkproto.ReplyHeader, []byte, error) {
	for {
		b, err := c.recv(d)
		if err != nil {
			return zkproto.ReplyHeader{}, nil, err
		}
		var rh zkproto.ReplyHeader
		dec := jute.NewDecoder(b, 0)
		rh.Decode(dec)
		if rh.Xid != zkproto.XidWatchEvent {
			return rh, dec.Rest(), dec.Err()
		}
	}
}

func (c *zconn) call(xid int32, op zkproto.OpCode, rec jute.Record) (zkproto.ReplyHeader, []byte) {
	c.t.Helper()
	c.send(request(xid, op, rec))
	rh, body, err := c.reply(10 * time.Second)
	if err != nil {
		c.t.Fatalf("%v xid %d: %v", op, xid, err)
	}
	if rh.Xid != xid {
		c.t.Fatalf("%v: reply to xid %d, want %d", op, rh.Xid, xid)
	}
	return rh, body
}

// closedWithoutReply sends a setData and asserts that the server closes
// the connection without answering it: SessionMoved.
func (c *zconn) closedWithoutReply(xid int32, path string, data string) {
	c.t.Helper()
	c.refused(request(xid, zkproto.OpSetData, &zkproto.SetDataRequest{Path: path, Data: []byte(data), Version: -1}), "setData")
}

// refused sends a request and asserts that the server closes the
// connection without answering it.
func (c *zconn) refused(req []byte, what string) {
	c.t.Helper()
	c.send(req)
	rh, _, err := c.reply(10 * time.Second)
	if err == nil {
		c.t.Fatalf("%s through the connection the session left: answered (xid %d, err %v), want the connection closed", what, rh.Xid, rh.Err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("%s through the connection the session left: no answer and no close in 10 s", what)
	}
}

func (c *zconn) getData(xid int32, path string) string {
	c.t.Helper()
	rh, body := c.call(xid, zkproto.OpGetData, &zkproto.PathWatch{Path: path})
	if rh.Err != zkproto.Ok {
		c.t.Fatalf("getData %s: %v", path, rh.Err)
	}
	var r zkproto.GetDataResponse
	if err := jute.Unmarshal(body, &r); err != nil {
		c.t.Fatal(err)
	}
	return string(r.Data)
}

// TestEnsembleClientView runs the same client checks against three zabd
// servers and against three Apache ZooKeeper 3.8 servers; both must behave
// alike:
//   - /zookeeper/config holds the ensemble's configuration on every server;
//   - reconfig is refused with ReconfigDisabled (reconfigEnabled=false);
//   - a session that reconnects through another server belongs to that
//     server from then on; a request through the connection it left
//     behind is refused (SessionMoved) — the old server closes that
//     connection without a reply and the write does not happen — whether
//     the session moves between followers, to the leader or from the
//     leader (ZOOKEEPER-710); a leader refuses its own clients' reads of a
//     moved session as well.
func TestEnsembleClientView(t *testing.T) {
	skipShort(t)
	for _, impl := range []string{"zabd", "zookeeper"} {
		t.Run(impl, func(t *testing.T) {
			e := newEnsemble(t, ensembleOpts{voters: 3})
			for _, id := range e.ids {
				if impl == "zabd" {
					e.start(id)
				} else {
					e.startJava(id)
				}
			}
			leader := e.waitSettled(60*time.Second, e.ids...)
			// Before any txn, the leader reports its epoch's first zxid
			// (Leader.startZkServer).
			if z := srvrZxid(t, e, leader); z != 1<<32 {
				t.Errorf("leader's srvr Zxid %#x before any txn, want 0x100000000", z)
			}
			f := others(e.ids, leader)
			monitoring(t, e, leader, f[0])
			configNode(t, e, leader, f[0])
			a := sessionMoves(t, e, leader, f[0], f[1])
			if impl == "zabd" {
				syncAfterFailover(t, e, leader, a)
			}
		})
	}
}

// monitoring checks the ensemble's part of mntr, srvr and conf on the
// leader and a follower of a settled three-server ensemble.
func monitoring(t *testing.T, e *ensemble, leader, follower int) {
	want := map[int]map[string]string{
		leader: {"zk_server_state": "leader", "zk_peer_state": "leading - broadcast", "zk_quorum_size": "3",
			"zk_learners": "2", "zk_synced_followers": "2", "zk_synced_non_voting_followers": "0",
			"zk_synced_observers": "0", "zk_pending_syncs": "0", "zk_last_proposal_size": "-1"},
		follower: {"zk_server_state": "follower", "zk_peer_state": "following - broadcast", "zk_quorum_size": "3"},
	}
	for _, id := range []int{leader, follower} {
		var got map[string]string
		e.eventually(5*time.Second, "mntr shows the settled ensemble", func() bool {
			out, err := fourLetter(e.addr(id), "mntr")
			if err != nil {
				return false
			}
			got = map[string]string{}
			for _, line := range strings.Split(out, "\n") {
				if k, v, ok := strings.Cut(line, "\t"); ok {
					got[k] = v
				}
			}
			for k, v := range want[id] {
				if got[k] != v {
					return false
				}
			}
			return true
		})
		if id == leader {
			if _, ok := got["zk_leader_uptime"]; !ok {
				t.Errorf("leader's mntr lacks zk_leader_uptime")
			}
		} else if _, ok := got["zk_learners"]; ok {
			t.Errorf("follower's mntr has the leader's zk_learners")
		}
		srvr, err := fourLetter(e.addr(id), "srvr")
		if err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(srvr, "\nProposal sizes last/min/max: "); has != (id == leader) {
			t.Errorf("server %d (leader %d): srvr has the proposal sizes line: %t\n%s", id, leader, has, srvr)
		}
		conf, err := fourLetter(e.addr(id), "conf")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(conf, fmt.Sprintf("serverId=%d\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\n", id)) ||
			!strings.Contains(conf, "\npeerType=0\nmembership: \nserver.1=") || !strings.HasSuffix(conf, "\nversion=0") {
			t.Errorf("server %d: conf lacks the quorum part:\n%s", id, conf)
		}
	}
}

// configNode checks /zookeeper/config and a refused reconfig through a
// leader and a follower.
func configNode(t *testing.T, e *ensemble, ids ...int) {
	// The harness writes server.N=host:quorumPort:electionPort lines in id
	// order.
	cfg, err := os.ReadFile(e.cfg(e.ids[0]))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, line := range strings.Split(string(cfg), "\n") {
		if strings.HasPrefix(line, "server.") {
			fmt.Fprintf(&want, "%s:participant\n", line)
		}
	}
	want.WriteString("version=0")
	for _, id := range ids {
		c := dialSession(t, e.addr(id), 0, nil)
		rh, body := c.call(1, zkproto.OpGetData, &zkproto.PathWatch{Path: "/zookeeper/config"})
		var r zkproto.GetDataResponse
		if err := jute.Unmarshal(body, &r); err != nil || rh.Err != zkproto.Ok {
			t.Fatalf("server %d: getData /zookeeper/config: %v %v", id, rh.Err, err)
		}
		if string(r.Data) != want.String() {
			t.Errorf("server %d: /zookeeper/config\n got %q\nwant %q", id, r.Data, want.String())
		}
		st := r.Stat
		if st.Version != -1 || st.Mzxid != 0 || st.Czxid != 0 || st.Aversion != -1 || st.DataLength != int32(want.Len()) {
			t.Errorf("server %d: /zookeeper/config stat %+v, want version -1, czxid/mzxid 0, aversion -1, dataLength %d", id, st, want.Len())
		}
		leaving := "3"
		c.send(request(2, zkproto.OpReconfig, &zkproto.ReconfigRequest{LeavingServers: &leaving, CurConfigID: -1}))
		rh, _, err := c.reply(10 * time.Second)
		if err != nil || rh.Xid != 2 || rh.Err != zkproto.ErrReconfigDisabled || rh.Zxid <= 0 {
			t.Errorf("server %d: reconfig: xid %d zxid %#x err %v (%v), want ReconfigDisabled with a zxid", id, rh.Xid, rh.Zxid, rh.Err, err)
		}
		if rh, _ := c.call(3, zkproto.OpExists, &zkproto.PathWatch{Path: "/"}); rh.Err != zkproto.Ok {
			t.Errorf("server %d: the connection after a refused reconfig: %v", id, rh.Err)
		}
	}
}

func sessionMoves(t *testing.T, e *ensemble, leader, f1, f2 int) *zconn {
	a := dialSession(t, e.addr(f1), 0, nil)
	if a.to <= 0 {
		t.Fatalf("new session: timeout %d", a.to)
	}
	if rh, _ := a.call(1, zkproto.OpCreate, &zkproto.CreateRequest{Path: "/moved", Data: []byte("a"), ACL: zkproto.OpenACLUnsafe}); rh.Err != zkproto.Ok {
		t.Fatalf("create through %d: %v", f1, rh.Err)
	}

	// Follower to follower. A getData sent right behind the handshake is
	// answered once the session resumes.
	b := dialSession(t, e.addr(f2), a.id, a.pw, request(1, zkproto.OpSync, &zkproto.PathOnly{Path: "/moved"}))
	if b.id != a.id || b.to <= 0 {
		t.Fatalf("resume through %d: session %#x timeout %d, want %#x and a timeout", f2, b.id, b.to, a.id)
	}
	if rh, _, err := b.reply(10 * time.Second); err != nil || rh.Xid != 1 || rh.Err != zkproto.Ok {
		t.Fatalf("sync sent behind the handshake: xid %d err %v (%v)", rh.Xid, rh.Err, err)
	}
	a.closedWithoutReply(2, "/moved", "stale-a")
	if got := b.getData(2, "/moved"); got != "a" {
		t.Fatalf("after the refused write: data %q, want \"a\"", got)
	}
	if rh, _ := b.call(3, zkproto.OpSetData, &zkproto.SetDataRequest{Path: "/moved", Data: []byte("b"), Version: -1}); rh.Err != zkproto.Ok {
		t.Fatalf("setData through the session's new server: %v", rh.Err)
	}

	// Follower to leader.
	c := dialSession(t, e.addr(leader), a.id, a.pw)
	if c.id != a.id {
		t.Fatalf("resume through the leader: session %#x", c.id)
	}
	b.closedWithoutReply(4, "/moved", "stale-b")
	if rh, _ := c.call(1, zkproto.OpSetData, &zkproto.SetDataRequest{Path: "/moved", Data: []byte("c"), Version: -1}); rh.Err != zkproto.Ok {
		t.Fatalf("setData through the leader: %v", rh.Err)
	}

	// Leader to follower.
	d := dialSession(t, e.addr(f1), a.id, a.pw)
	if d.id != a.id {
		t.Fatalf("resume through %d: session %#x", f1, d.id)
	}
	// The leader checks its own clients' reads too.
	c.refused(request(2, zkproto.OpGetData, &zkproto.PathWatch{Path: "/moved"}), "getData")
	d.call(1, zkproto.OpSync, &zkproto.PathOnly{Path: "/moved"})
	if got := d.getData(2, "/moved"); got != "c" {
		t.Fatalf("final data %q, want \"c\"", got)
	}

	// A session the leader does not know is expired: a follower answers
	// the resume with timeout 0 and session 0, as ZooKeeper does.
	unknown := a.id ^ 0x7fff
	x := dialSession(t, e.addr(f2), unknown, session.Password(unknown))
	if x.to != 0 || x.id != 0 {
		t.Fatalf("resume of an unknown session: session %#x timeout %d, want 0 and 0", x.id, x.to)
	}
	return a
}

// srvrZxid returns the Zxid line of srvr.
func srvrZxid(t *testing.T, e *ensemble, id int) int64 {
	t.Helper()
	out, err := fourLetter(e.addr(id), "srvr")
	if err != nil {
		t.Fatal(err)
	}
	var z int64
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Zxid: 0x"); ok {
			z, err = strconv.ParseInt(v, 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return z
		}
	}
	t.Fatalf("srvr without a Zxid line:\n%s", out)
	return 0
}

// syncAfterFailover kills the leader, resumes session a through the new
// leader and syncs before the new epoch has any txn: the sync must be
// answered at once (the new leader holds every txn before its epoch), not
// wait for some later write.
func syncAfterFailover(t *testing.T, e *ensemble, leader int, a *zconn) {
	e.kill(leader)
	rest := others(e.ids, leader)
	nl := e.waitSettled(30*time.Second, rest...)
	c := dialSession(t, e.addr(nl), a.id, a.pw)
	if c.id != a.id {
		t.Fatalf("resume through the new leader %d: session %#x", nl, c.id)
	}
	c.send(request(1, zkproto.OpSync, &zkproto.PathOnly{Path: "/"}))
	rh, _, err := c.reply(5 * time.Second)
	if err != nil || rh.Err != zkproto.Ok || rh.Xid != 1 {
		t.Fatalf("sync on the new leader before its first txn: xid %d err %v (%v)", rh.Xid, rh.Err, err)
	}
	if rh.Zxid>>32 < 2 {
		t.Errorf("sync reply zxid %#x, want one of the new epoch", rh.Zxid)
	}
}

// TestLookingFourLetterWords: a member that has no leader yet (one of
// three started) answers the four-letter words that need a running server
// with ZooKeeper's "not currently serving" line, isro with "null", and
// ruok as ever — against zabd and against ZooKeeper 3.8.
func TestLookingFourLetterWords(t *testing.T) {
	skipShort(t)
	const notServing = "This ZooKeeper instance is not currently serving requests\n"
	want := map[string]string{"ruok": "imok", "isro": "null", "gtmk": "306"}
	for _, cmd := range []string{"srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "dirs", "dump", "wchs", "wchc", "wchp"} {
		want[cmd] = notServing
	}
	for _, impl := range []string{"zabd", "zookeeper"} {
		t.Run(impl, func(t *testing.T) {
			e := newEnsemble(t, ensembleOpts{voters: 3})
			if impl == "zabd" {
				e.start(1)
			} else {
				e.startJava(1)
			}
			e.eventually(30*time.Second, "the client port answers", func() bool {
				out, err := fourLetter(e.addr(1), "ruok")
				return err == nil && out == "imok"
			})
			for cmd, w := range want {
				if got, err := fourLetter(e.addr(1), cmd); err != nil || got != w {
					t.Errorf("%s while looking: %q (%v), want %q", cmd, got, err, w)
				}
			}
			if out, err := fourLetter(e.addr(1), "envi"); err != nil || !strings.HasPrefix(out, "Environment:\nzookeeper.version=") {
				t.Errorf("envi while looking: %q (%v)", out, err)
			}
		})
	}
}

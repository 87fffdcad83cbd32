package compat

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/zabd/zabd/jute/zkproto"
)

// Credentials of the ACL scenarios, as `addauth digest user:password`
// takes them. superCred's digest is the super digest both servers are
// configured with (superDigest, harness_test.go).
const (
	aliceCred = "alice:wonder"
	bobCred   = "bob:builder"
	superCred = "super:secret"
)

// digestID returns the digest id of cred, user:base64(sha1(user:password)),
// as DigestAuthenticationProvider.generateDigest builds it.
func digestID(cred string) string {
	user, _, _ := strings.Cut(cred, ":")
	sum := sha1.Sum([]byte(cred))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

func worldACL(perms int32) zkproto.ACL { return zkproto.ACL{Perms: perms, ID: zkproto.AnyoneID} }

func digestACL(perms int32, cred string) zkproto.ACL {
	return zkproto.ACL{Perms: perms, ID: zkproto.Id{Scheme: "digest", ID: digestID(cred)}}
}

func ipACL(perms int32, ip string) zkproto.ACL {
	return zkproto.ACL{Perms: perms, ID: zkproto.Id{Scheme: "ip", ID: ip}}
}

func authACL(perms int32) zkproto.ACL { return zkproto.ACL{Perms: perms, ID: zkproto.AuthIDs} }

func schemeACL(perms int32, scheme, id string) zkproto.ACL {
	return zkproto.ACL{Perms: perms, ID: zkproto.Id{Scheme: scheme, ID: id}}
}

func acls(a ...zkproto.ACL) []zkproto.ACL { return a }

// addAuth sends an AuthPacket with the Java client's xid (-4). ZooKeeper
// answers it at once, outside the request pipeline, with zxid 0; on
// AuthFailed it closes the connection.
func (c *rawConn) addAuth(scheme string, auth []byte) reply {
	if c.conn == nil {
		c.logf(">", "auth: not connected")
		return reply{}
	}
	req := &zkproto.AuthPacket{Type: 0, Scheme: scheme, Auth: auth}
	return c.recv(c.sendXid(zkproto.XidAuth, zkproto.OpAuth, req, fmt.Sprintf("scheme=%q auth=%s", scheme, data(auth)), nil))
}

// addDigest is `addauth digest cred`.
func (c *rawConn) addDigest(cred string) reply { return c.addAuth("digest", []byte(cred)) }

// permBits names the five permission bits.
var permBits = []struct {
	name string
	bit  int32
}{
	{"R", zkproto.PermRead}, {"W", zkproto.PermWrite}, {"C", zkproto.PermCreate},
	{"D", zkproto.PermDelete}, {"A", zkproto.PermAdmin},
}

// permCase is one row of the permission matrix: a node whose world ACL
// grants exactly perms.
type permCase struct {
	name  string
	perms int32
}

// permCases returns, for each bit, a node granting only that bit and one
// granting every bit but it.
func permCases() []permCase {
	var v []permCase
	for _, b := range permBits {
		v = append(v, permCase{"only" + b.name, b.bit}, permCase{"no" + b.name, zkproto.PermAll &^ b.bit})
	}
	return v
}

// matrixACL grants perms to everyone and everything to alice, so that
// getACL shows whether digest ids are masked (READ without ADMIN).
func matrixACL(perms int32) []zkproto.ACL {
	return acls(worldACL(perms), digestACL(zkproto.PermAll, aliceCred))
}

// permNode creates node with data, a child c, and then sets the node's ACL
// to matrixACL(perms).
func permNode(a *rawConn, node string, perms int32) {
	a.create(node, []byte("d"), persistent)
	a.create(node+"/c", []byte("c"), persistent)
	a.setACL(node, matrixACL(perms), -1)
}

// aclOp is one opcode of the permission matrix: do runs it against node,
// which permNode prepared (or prep, when set).
type aclOp struct {
	name string
	prep func(s *scen, a *rawConn, node string, perms int32)
	do   func(s *scen, a *rawConn, node string)
}

// aclOps lists every opcode with the permission it needs, on the node or
// on its parent, as ZooKeeper checks it (PrepRequestProcessor for writes,
// FinalRequestProcessor for reads): create* need CREATE on the parent,
// delete DELETE on the parent, setData WRITE, getData, getChildren*,
// getAllChildrenNumber and check READ, setACL ADMIN, getACL READ or ADMIN
// (digest ids masked without ADMIN), and exists, sync, getEphemerals and
// addWatch none.
func aclOps() []aclOp {
	return []aclOp{
		{name: "create", do: func(s *scen, a *rawConn, n string) {
			a.create(n+"/new", []byte("x"), persistent)
			a.create(n+"/eseq-", nil, ephemeralSeq)
			a.exists(n+"/new", false)
			a.create(n+"/c/grandchild", nil, persistent) // c is open: the parent's ACL is all that counts
		}},
		{name: "create2", do: func(s *scen, a *rawConn, n string) {
			a.create2(n+"/new", []byte("x"), persistent)
			a.create2(n+"/new", []byte("x"), persistent) // NodeExists or NoAuth: the ACL comes first
		}},
		{name: "create_container", do: func(s *scen, a *rawConn, n string) {
			a.create2(n+"/box", nil, container)
		}},
		{name: "create_ttl", do: func(s *scen, a *rawConn, n string) {
			a.createTTL(n+"/ttl", nil, ttlMode, 600000)
			a.createTTL(n+"/ttlseq-", nil, ttlSeq, 600000)
		}},
		{name: "delete", do: func(s *scen, a *rawConn, n string) {
			a.delete(n+"/c", -1)
			a.delete(n+"/missing", -1) // the parent's ACL is checked before the node's existence
			a.exists(n+"/c", false)
		}},
		{name: "delete_node_acl_irrelevant", prep: func(s *scen, a *rawConn, n string, perms int32) {
			a.createACL(n, []byte("leaf"), matrixACL(perms), persistent)
		}, do: func(s *scen, a *rawConn, n string) {
			a.delete(n, 5)
			a.delete(n, -1)
		}},
		{name: "set_data", do: func(s *scen, a *rawConn, n string) {
			a.setData(n, []byte("new"), 7) // the ACL is checked before the version
			a.setData(n, []byte("new"), -1)
			a.setData(n+"/c", []byte("child"), -1) // the parent's ACL does not count
			a.exists(n, false)
		}},
		{name: "get_data", do: func(s *scen, a *rawConn, n string) {
			a.getData(n, false)
			a.getData(n, true)
			a.getData(n+"/c", false)
		}},
		{name: "exists", do: func(s *scen, a *rawConn, n string) {
			a.exists(n, true)
			a.exists(n+"/c", false)
			a.exists(n+"/missing", true)
		}},
		{name: "get_children", do: func(s *scen, a *rawConn, n string) {
			a.getChildren(n, false)
			a.getChildren(n, true)
			a.getChildren(n+"/c", false)
		}},
		{name: "get_children2", do: func(s *scen, a *rawConn, n string) {
			a.getChildren2(n, false)
			a.getChildren2(n+"/c", true)
		}},
		{name: "get_acl", do: func(s *scen, a *rawConn, n string) {
			a.getACL(n)
			a.getACL(n + "/c")
		}},
		{name: "set_acl", do: func(s *scen, a *rawConn, n string) {
			a.setACL(n, zkproto.OpenACLUnsafe, 9) // the ACL is checked before the aversion
			a.setACL(n, zkproto.OpenACLUnsafe, 1)
			a.setACL(n+"/c", zkproto.ReadACLUnsafe, -1)
			a.getACL(n)
		}},
		{name: "get_all_children_number", do: func(s *scen, a *rawConn, n string) {
			a.getAllChildrenNumber(n)
			a.getAllChildrenNumber(n + "/c")
		}},
		{name: "get_ephemerals", prep: func(s *scen, a *rawConn, n string, perms int32) {
			a.createACL(n, nil, matrixACL(perms), ephemeral)
		}, do: func(s *scen, a *rawConn, n string) {
			a.getEphemerals(n)
		}},
		{name: "multi_check", do: func(s *scen, a *rawConn, n string) {
			a.multi(mCheck(n, 0))
			a.multi(mCheck(n, 5))
			a.multi(mCreate(n+"/c/m", nil, persistent), mCheck(n, -1), mDelete(n+"/c/m", -1))
		}},
		{name: "sync", do: func(s *scen, a *rawConn, n string) {
			a.sync(n)
		}},
		{name: "add_watch", do: func(s *scen, a *rawConn, n string) {
			a.addWatch(n, zkproto.AddWatchPersistent)
			a.addWatch(n+"/c", zkproto.AddWatchPersistentRecursive)
			a.checkWatches(n, zkproto.WatcherAny)
			a.removeWatches(n, zkproto.WatcherAny)
			a.removeWatches(n+"/c", zkproto.WatcherAny)
		}},
		{name: "multi_read", do: func(s *scen, a *rawConn, n string) {
			a.multiRead(rGetData(n), rGetChildren(n), rGetData(n+"/c"), rGetChildren(n+"/c"))
		}},
	}
}

// aclScenarios cover ACLs and authentication: every permission bit per
// opcode, the world, digest, auth, ip and super schemes, setACL and
// getACL, invalid ACLs, addauth and whoAmI.
func aclScenarios() []scenario {
	var scs []scenario
	for _, op := range aclOps() {
		scs = append(scs, scenario{name: "acl_perm_" + op.name, run: func(s *scen) {
			a := s.setup()
			for _, pc := range permCases() {
				n := s.p(pc.name)
				if op.prep != nil {
					op.prep(s, a, n, pc.perms)
				} else {
					permNode(a, n, pc.perms)
				}
				op.do(s, a, n)
			}
		}})
	}
	return append(scs, []scenario{
		{name: "acl_digest_sessions", run: func(s *scen) {
			a := s.setup()
			al := s.connect("Alice")
			bo := s.connect("Bob")
			wr := s.connect("Wrong")
			both := s.connect("Both")
			al.addDigest(aliceCred)
			bo.addDigest(bobCred)
			wr.addDigest("alice:wrong")
			both.addDigest(aliceCred)
			both.addDigest(bobCred)
			al.createACL(s.p("n"), []byte("alice's"), acls(digestACL(zkproto.PermAll, aliceCred)), persistent)
			for _, c := range []*rawConn{a, al, bo, wr, both} {
				c.exists(s.p("n"), false)
				c.getData(s.p("n"), false)
				c.getACL(s.p("n"))
				c.create(s.p("n/"+c.name), nil, persistent)
				c.setData(s.p("n"), []byte(c.name), -1)
				c.delete(s.p("n/"+c.name), -1)
			}
			a.getChildren2(s.root, false)
		}},
		{name: "acl_digest_split_permissions", run: func(s *scen) {
			a := s.setup()
			al := s.connect("Alice")
			bo := s.connect("Bob")
			al.addDigest(aliceCred)
			bo.addDigest(bobCred)
			a.createACL(s.p("n"), []byte("x"), acls(
				digestACL(zkproto.PermRead|zkproto.PermCreate, aliceCred),
				digestACL(zkproto.PermWrite|zkproto.PermDelete, bobCred),
				worldACL(zkproto.PermAdmin)), persistent)
			for _, c := range []*rawConn{al, bo, a} {
				c.getData(s.p("n"), false)
				c.setData(s.p("n"), []byte(c.name), -1)
				c.create(s.p("n/"+c.name), nil, persistent)
				c.getChildren(s.p("n"), false)
				c.getACL(s.p("n"))
			}
			bo.delete(s.p("n/Alice"), -1)
			al.delete(s.p("n/Alice"), -1)
			al.addDigest(bobCred) // now alice and bob on one connection
			al.delete(s.p("n/Alice"), -1)
			al.whoAmI()
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll)), 0)
			a.getData(s.p("n"), false)
		}},
		{name: "acl_digest_auth_is_per_connection", run: func(s *scen) {
			a := s.setup()
			a.addDigest(aliceCred)
			a.createACL(s.p("n"), []byte("x"), acls(digestACL(zkproto.PermAll, aliceCred)), persistent)
			a.getData(s.p("n"), false)
			a.drop()
			a2 := s.reconnect(a, "A2")
			a2.whoAmI()
			a2.getData(s.p("n"), false)
			a2.addDigest(aliceCred)
			a2.getData(s.p("n"), false)
			b := s.connect("B")
			b.getData(s.p("n"), false)
			b.addDigest(aliceCred)
			b.getData(s.p("n"), false)
		}},
		{name: "acl_digest_odd_credentials", run: func(s *scen) {
			a := s.setup()
			// DigestAuthenticationProvider accepts any bytes: the user is
			// what precedes the first colon, or all of it.
			for i, cred := range []string{"nocolon", "", ":empty-user", "user:", "u:p:extra"} {
				c := s.connect(fmt.Sprintf("C%d", i))
				c.addDigest(cred)
				c.whoAmI()
				c.createACL(s.p(fmt.Sprintf("n%d", i)), nil, acls(authACL(zkproto.PermRead)), persistent)
				c.getACL(s.p(fmt.Sprintf("n%d", i)))
				c.getData(s.p(fmt.Sprintf("n%d", i)), false)
				a.getData(s.p(fmt.Sprintf("n%d", i)), false)
			}
		}},
		{name: "acl_auth_scheme", run: func(s *scen) {
			a := s.setup()
			a.createACL(s.p("none"), nil, acls(authACL(zkproto.PermAll)), persistent) // InvalidACL: no authenticated id
			a.addAuth("ip", nil)                                                      // ip ids are not "authenticated"
			a.createACL(s.p("ip-only"), nil, acls(authACL(zkproto.PermAll)), persistent)
			a.addDigest(aliceCred)
			named := []struct {
				name string
				acl  []zkproto.ACL
			}{
				{"alice", acls(authACL(zkproto.PermAll))},
				{"id-ignored", acls(schemeACL(zkproto.PermRead, "auth", "whoever"))},
				{"with-world", acls(authACL(zkproto.PermRead|zkproto.PermWrite), worldACL(zkproto.PermRead))},
				{"with-digest", acls(authACL(zkproto.PermAll), digestACL(zkproto.PermAll, aliceCred))},
				{"twice", acls(authACL(zkproto.PermAll), authACL(zkproto.PermAll))},
				{"two-perms", acls(authACL(zkproto.PermRead), authACL(zkproto.PermWrite))},
				{"digest-before", acls(digestACL(zkproto.PermRead, bobCred), authACL(zkproto.PermAdmin))},
			}
			for _, n := range named {
				a.createACL(s.p(n.name), nil, n.acl, persistent)
				a.getACL(s.p(n.name))
			}
			a.addDigest(bobCred)
			a.createACL(s.p("two-users"), nil, acls(authACL(zkproto.PermAll)), persistent)
			a.getACL(s.p("two-users"))
			a.setACL(s.p("alice"), acls(authACL(zkproto.PermRead|zkproto.PermAdmin)), 0)
			a.getACL(s.p("alice"))
			b := s.connect("B")
			b.setACL(s.p("none-such"), acls(authACL(zkproto.PermAll)), -1) // InvalidACL before NoNode
			b.setACL(s.p("alice"), acls(authACL(zkproto.PermAll)), -1)     // InvalidACL before NoAuth
			b.multi(mCreateACL(s.p("m"), acls(authACL(zkproto.PermAll))))
			a.multi(mCreateACL(s.p("m"), acls(authACL(zkproto.PermAll))))
			a.getACL(s.p("m"))
		}},
		{name: "acl_ip", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			ips := []string{"127.0.0.1", "127.0.0.0/8", "10.0.0.0/8", "127.0.0.2", "0.0.0.0/0", "127.1.2.3/8",
				"127.0.0.1/32", "127.0.0.0/31", "127.0.0.2/31", "10.0.0.1", "127.0.0.1/0", "255.255.255.255/1"}
			for i, ip := range ips {
				n := s.p(fmt.Sprintf("ip%d", i))
				a.createACL(n, []byte(ip), acls(ipACL(zkproto.PermRead|zkproto.PermAdmin, ip), worldACL(zkproto.PermWrite)), persistent)
				b.getData(n, false)
				b.setData(n, []byte("w"), -1)
				b.getACL(n)
			}
			a.createACL(s.p("ip-create"), nil, acls(ipACL(zkproto.PermCreate, "127.0.0.1")), persistent)
			b.create(s.p("ip-create/child"), nil, persistent)
			a.createACL(s.p("ip-nocreate"), nil, acls(ipACL(zkproto.PermCreate, "10.0.0.0/8"), worldACL(zkproto.PermRead)), persistent)
			b.create(s.p("ip-nocreate/child"), nil, persistent)
			b.getChildren(s.p("ip-nocreate"), false)
		}},
		{name: "acl_ip_java_forms", run: func(s *scen) {
			// IPAuthenticationProvider parses each part with
			// Integer.parseInt, which takes signs and leading zeros.
			a := s.setup()
			forms := []string{"127.0.0.01", "127.000.000.001", "+127.0.0.1", "127.0.0.1/+8", "127.0.0.1/08", "-0.0.0.0/0", "127.0.0.1/-0"}
			for i, ip := range forms {
				n := s.p(fmt.Sprintf("f%d", i))
				a.createACL(n, []byte(ip), acls(ipACL(zkproto.PermRead, ip)), persistent)
				a.getData(n, false)
			}
		}},
		{name: "acl_invalid", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("x"), persistent)
			bad := [][]zkproto.ACL{
				{}, nil,
				acls(schemeACL(zkproto.PermAll, "nope", "x")),
				acls(schemeACL(zkproto.PermAll, "world", "nobody")),
				acls(schemeACL(zkproto.PermAll, "World", "anyone")),
				acls(schemeACL(zkproto.PermAll, "", "")),
				acls(schemeACL(zkproto.PermAll, "sasl", "alice")),
				acls(schemeACL(zkproto.PermAll, "x509", "CN=alice")),
				acls(schemeACL(zkproto.PermAll, "super", "")),
				acls(worldACL(zkproto.PermAll), schemeACL(zkproto.PermRead, "nope", "x")),
			}
			for _, acl := range bad {
				a.createACL(s.p("c"), nil, acl, persistent)
				a.setACL(s.p("n"), acl, -1)
			}
			a.getACL(s.p("n"))
			a.getChildren2(s.root, false)
		}},
		{name: "acl_invalid_digest_ids", run: func(s *scen) {
			// DigestAuthenticationProvider.isValid splits on ":" as Java's
			// String.split does, dropping trailing empty strings.
			a := s.setup()
			ids := []string{"alice", "alice:", ":hash", "a:b:c", "alice:hash:", "alice::", "::", "", ":", "a::b", digestID(aliceCred)}
			for i, id := range ids {
				a.createACL(s.p(fmt.Sprintf("d%d", i)), nil, acls(schemeACL(zkproto.PermAll, "digest", id)), persistent)
			}
			a.getChildren2(s.root, false)
			a.getACL(s.p("d4"))
		}},
		{name: "acl_invalid_ips", run: func(s *scen) {
			a := s.setup()
			ips := []string{"127.0.0.1/33", "127.0.0.1/-1", "127.0.0.1/", "127.0.0", "256.0.0.1", "::1", "localhost", "",
				"127.0.0.1/8/8", "1.2.3.4.5", " 127.0.0.1", "127.0.0.1 ", "127..0.1", "0x7f.0.0.1", "127.0.0.1/x", "fe80::1/64"}
			for i, ip := range ips {
				a.createACL(s.p(fmt.Sprintf("i%d", i)), nil, acls(ipACL(zkproto.PermAll, ip)), persistent)
			}
			a.getChildren2(s.root, false)
		}},
		{name: "acl_error_order", run: func(s *scen) {
			a := s.setup()
			a.createACL(s.p("locked"), []byte("x"), acls(worldACL(zkproto.PermRead)), persistent)
			a.createACL(s.p("eph"), nil, acls(worldACL(zkproto.PermRead)), ephemeral)
			a.create(s.p("open"), nil, persistent)
			a.create(s.p("open/c"), nil, persistent)
			a.setACL(s.p("open"), acls(worldACL(zkproto.PermRead|zkproto.PermWrite)), -1)
			a.createACL(s.p("missing/x"), nil, []zkproto.ACL{}, persistent) // InvalidACL before NoNode
			a.create(s.p("missing/x"), nil, persistent)                     // NoNode
			a.create(s.p("locked"), nil, persistent)                        // NodeExists: root is open
			a.create(s.p("open/c"), nil, persistent)                        // NoAuth before NodeExists
			a.create(s.p("eph/x"), nil, persistent)                         // NoAuth before NoChildrenForEphemerals
			a.delete(s.p("open/missing"), -1)                               // NoAuth before NoNode
			a.delete(s.p("open/c"), 3)                                      // NoAuth before BadVersion
			a.delete(s.p("open"), -1)                                       // NotEmpty: root is open
			a.setData(s.p("locked"), nil, 3)                                // NoAuth before BadVersion
			a.setACL(s.p("locked"), zkproto.OpenACLUnsafe, 3)               // NoAuth before BadVersion
			a.setACL(s.p("locked"), []zkproto.ACL{}, 3)                     // InvalidACL first
			a.multi(mCheck(s.p("locked"), 3))
			a.multi(mSetData(s.p("locked"), nil, 3))
			a.getChildren2(s.root, false)
		}},
		{name: "acl_set_acl_aversion", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("x"), persistent)
			a.getACL(s.p("n"))
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll)), 1)
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll)), 0)
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll)), 0)
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll&^zkproto.PermDelete)), 1)
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll)), -2)
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll)), -1)
			a.getACL(s.p("n"))
			a.setData(s.p("n"), []byte("y"), 0) // version and aversion are apart
			a.getACL(s.p("n"))
			a.exists(s.p("n"), false)
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermRead)), 3)
			a.setACL(s.p("n"), acls(worldACL(zkproto.PermAll)), 4) // no ADMIN left
			a.getACL(s.p("n"))
			a.multi(mSetData(s.p("n"), []byte("z"), -1))
			a.getChildren2(s.root, false)
		}},
		{name: "acl_get_acl_stats_and_masking", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			al := s.connect("Alice")
			al.addDigest(aliceCred)
			acl := acls(worldACL(zkproto.PermRead), digestACL(zkproto.PermAll, aliceCred), digestACL(zkproto.PermRead, bobCred),
				ipACL(zkproto.PermRead, "127.0.0.1"))
			a.createACL(s.p("n"), []byte("data"), acl, persistent)
			a.create(s.p("n/c"), nil, persistent) // NoAuth: no CREATE
			al.create(s.p("n/c"), nil, persistent)
			al.setData(s.p("n"), []byte("more"), -1)
			b.getACL(s.p("n"))
			al.getACL(s.p("n"))
			b.addDigest(bobCred)
			b.getACL(s.p("n"))
			al.setACL(s.p("n"), acls(worldACL(zkproto.PermAdmin), digestACL(zkproto.PermRead, bobCred)), 0)
			b.getACL(s.p("n"))
			a.getACL(s.p("n"))
			a.getACL(s.p("missing"))
		}},
		{name: "acl_super", run: func(s *scen) {
			a := s.setup()
			al := s.connect("Alice")
			al.addDigest(aliceCred)
			al.createACL(s.p("private"), []byte("p"), acls(digestACL(zkproto.PermAll, aliceCred)), persistent)
			al.create(s.p("private/c"), nil, persistent)
			a.createACL(s.p("zero"), []byte("z"), acls(worldACL(0)), persistent)
			su := s.connect("Super")
			su.getData(s.p("private"), false)
			su.addDigest(superCred)
			su.whoAmI()
			for _, n := range []string{s.p("private"), s.p("zero")} {
				su.getData(n, false)
				su.getACL(n)
				su.getChildren2(n, false)
				su.getAllChildrenNumber(n)
				su.create(n+"/su", nil, persistent)
				su.setData(n, []byte("super was here"), -1)
				su.multi(mCheck(n, -1), mCreate(n+"/m", nil, persistent), mDelete(n+"/m", -1))
				su.delete(n+"/su", -1)
				a.getData(n, false)
				a.getACL(n)
			}
			su.setACL(s.p("zero"), acls(worldACL(zkproto.PermRead)), -1)
			a.getData(s.p("zero"), false)
			su.createACL(s.p("super-auth"), nil, acls(authACL(zkproto.PermAll)), persistent) // the super id is not an "authenticated" one
			su.getACL(s.p("super-auth"))
			ns := s.connect("NotSuper")
			ns.addDigest("super:wrong")
			ns.whoAmI()
			ns.getData(s.p("private"), false)
		}},
		{name: "acl_addauth_unknown_scheme", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("eph"), nil, ephemeral)
			a.addDigest(aliceCred)
			a.addAuth("nosuch", []byte("x"))
			a.expectClosed()
			b := s.connect("B")
			b.exists(s.p("eph"), false) // the session outlives the connection
			a2 := s.reconnect(a, "A2")
			a2.whoAmI()
			a2.exists(s.p("eph"), false)
		}},
		{name: "acl_addauth_schemes", run: func(s *scen) {
			a := s.setup()
			for i, sc := range []struct{ scheme, auth string }{
				{"ip", "10.0.0.1"}, {"ip", ""}, {"digest", "alice"}, {"world", "anyone"}, {"auth", ""},
				{"super", "secret"}, {"sasl", "alice"}, {"x509", "CN=alice"}, {"", "x"}, {"Digest", aliceCred},
			} {
				c := s.connect(fmt.Sprintf("C%d", i))
				c.addAuth(sc.scheme, []byte(sc.auth))
				c.whoAmI()
			}
			a.exists(s.root, false)
		}},
		{name: "acl_who_am_i_after_several_addauths", run: func(s *scen) {
			a := s.setup()
			a.whoAmI()
			for _, cred := range []string{aliceCred, bobCred, aliceCred, "carol:c", superCred, "dave:d", "erin:e"} {
				a.addDigest(cred)
				a.whoAmI()
			}
			a.addAuth("ip", nil)
			a.whoAmI()
			a.createACL(s.p("n"), nil, acls(authACL(zkproto.PermRead)), persistent)
			a.getACL(s.p("n"))
			b := s.connect("B")
			b.addDigest(bobCred)
			b.addDigest(aliceCred)
			b.whoAmI()
			b.createACL(s.p("m"), nil, acls(authACL(zkproto.PermAll)), persistent)
			b.getACL(s.p("m"))
		}},
		{name: "acl_who_am_i_many_ids", run: func(s *scen) {
			// ServerCnxn's auth ids live in a ConcurrentHashMap-backed set:
			// its order changes as the table grows past 12 and 24 entries.
			a := s.setup()
			for i := 0; i < 30; i++ {
				a.addDigest(fmt.Sprintf("user%02d:pw%d", i, i))
				switch i {
				case 9, 10, 11, 21, 22, 23, 29:
					a.whoAmI()
				}
			}
			a.createACL(s.p("n"), nil, acls(authACL(zkproto.PermRead)), persistent)
			a.getACL(s.p("n"))
		}},
		{name: "acl_ids_echoed_as_java_strings", run: func(s *scen) {
			// ZooKeeper keeps ids as Java strings: bytes that are not
			// UTF-8 read as U+FFFD, and a character above U+FFFF is
			// written back as two three-byte surrogates (CESU-8).
			a := s.setup()
			odd := "u\xff\U0001F600\xe2\x82"
			a.addDigest(odd + ":pw")
			a.whoAmI()
			a.createACL(s.p("n"), nil, acls(schemeACL(zkproto.PermAll, "digest", odd+":h\U0001F600\xc3"), authACL(zkproto.PermRead)), persistent)
			a.getACL(s.p("n"))
			a.setACL(s.p("n"), acls(schemeACL(zkproto.PermAll, "digest", "\xf0\x9f:x"), worldACL(zkproto.PermRead)), -1)
			a.getACL(s.p("n"))
		}},
		{name: "acl_watch_events_need_read", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			// A node B may not read but may write and administer.
			a.createACL(s.p("n"), []byte("0"), acls(worldACL(zkproto.PermAll&^zkproto.PermRead)), persistent)
			a.create(s.p("p"), nil, persistent)
			b.exists(s.p("n"), true)
			b.getData(s.p("n"), true) // NoAuth: no watch
			b.addWatch(s.p("p"), zkproto.AddWatchPersistentRecursive)
			a.setData(s.p("n"), []byte("1"), -1)
			a.createACL(s.p("p/secret"), nil, acls(worldACL(zkproto.PermAll&^zkproto.PermRead)), persistent)
			a.createACL(s.p("p/open"), nil, zkproto.OpenACLUnsafe, persistent)
			a.setData(s.p("p/secret"), []byte("x"), -1)
			a.delete(s.p("p/secret"), -1)
			b.sync(s.root)
			b.checkWatches(s.p("n"), zkproto.WatcherData)
		}},
	}...)
}

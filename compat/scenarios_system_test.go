package compat

import "github.com/zabd/zabd/jute/zkproto"

// systemScenarios read and try to change the /zookeeper subtree, which all
// scenarios share: they run alone, after the others.
func systemScenarios() []scenario {
	return []scenario{
		{name: "system_nodes", exclusive: true, run: func(s *scen) {
			a := s.connect("A")
			for _, p := range []string{"/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
				a.getData(p, false)
				a.getChildren2(p, false)
				a.getACL(p)
				a.getAllChildrenNumber(p)
			}
			a.getACL("/")
			a.getData("/", false)
			// Reads resolve "" to the root.
			a.getData("", false)
			a.exists("", false)
			a.getChildren("", false)
			a.getChildren2("", false)
			a.getACL("")
			a.getAllChildrenNumber("")
			a.sync("")
		}},
		{name: "system_nodes_writes", exclusive: true, run: func(s *scen) {
			a := s.connect("A")
			a.create("/zookeeper/x", []byte("x"), persistent)
			a.create("/zookeeper/quota/x", nil, persistent)
			a.create("/zookeeper/config/x", nil, persistent)
			a.create("/zookeeper/e", nil, ephemeral)
			seq := a.create("/zookeeper/s-", nil, persistSeq).path()
			dotdot := a.create("/zookeeper/..", nil, persistSeq).path() // "/zookeeper/..0000000004"
			a.setData("/zookeeper", []byte("z"), -1)
			a.setData("/zookeeper/quota", []byte("q"), -1)
			a.setData("/zookeeper/config", []byte("server.1=x"), -1)
			a.setACL("/zookeeper/config", zkproto.OpenACLUnsafe, -1)
			a.getChildren2("/zookeeper", false)
			a.getChildren2("/zookeeper/quota", false)
			a.getData("/zookeeper/config", false)
			// Put things back for the scenarios that follow.
			for _, p := range []string{"/zookeeper/x", "/zookeeper/quota/x", "/zookeeper/config/x", "/zookeeper/e", seq, dotdot} {
				a.delete(p, -1)
			}
			a.getChildren2("/zookeeper", false)
		}},
		{name: "reconfig_disabled", run: func(s *scen) {
			// reconfigEnabled is false by default: a reconfig is refused in
			// its place in the order, a zxid consumed, the connection kept.
			a := s.connect("A")
			leaving, members := "1", "server.1=127.0.0.1:2888:3888;2181"
			a.call(zkproto.OpReconfig, &zkproto.ReconfigRequest{LeavingServers: &leaving, CurConfigID: -1}, "leaving=1", nil)
			a.call(zkproto.OpReconfig, &zkproto.ReconfigRequest{NewMembers: &members, CurConfigID: 5}, "members", nil)
			a.getData("/zookeeper/config", false)
			a.create("/after-reconfig", nil, persistent)
		}},
	}
}

package compat

import (
	"time"

	"github.com/zabd/zabd/jute/zkproto"
)

// eventWait bounds a wait for watch events that a change already made must
// produce; they normally arrive in microseconds.
const eventWait = 10 * time.Second

// watchScenarios check one-shot data, exist and child watches: which event
// (type, state, path) fires, that it fires once, and where in the stream of
// replies it arrives. Events are read synchronously: an event that a server
// sends before a reply shows up before that reply in the transcript.
func watchScenarios() []scenario {
	return []scenario{
		{name: "watch_data_changed_fires_once", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), []byte("0"), persistent)
			b.getData(s.p("n"), true)
			a.setData(s.p("n"), []byte("1"), -1)
			b.waitEvents(1, eventWait)
			a.setData(s.p("n"), []byte("2"), -1)
			b.getData(s.p("n"), false) // a second event would come before this reply
			a.setData(s.p("n"), []byte("3"), -1)
			b.exists(s.p("n"), false)
		}},
		{name: "watch_data_deleted", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), nil, persistent)
			b.getData(s.p("n"), true)
			a.delete(s.p("n"), -1)
			b.waitEvents(1, eventWait)
			a.create(s.p("n"), nil, persistent)
			b.exists(s.p("n"), false)
		}},
		{name: "watch_exists_created", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			b.exists(s.p("n"), true)
			a.create(s.p("n"), []byte("x"), persistent)
			b.waitEvents(1, eventWait)
			a.setData(s.p("n"), []byte("y"), -1)
			b.getData(s.p("n"), false)
		}},
		{name: "watch_exists_changed_and_deleted", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), nil, persistent)
			b.exists(s.p("n"), true)
			a.setData(s.p("n"), []byte("y"), -1)
			b.exists(s.p("n"), true)
			a.delete(s.p("n"), -1)
			b.exists(s.p("n"), true)
			a.create(s.p("n"), nil, ephemeral)
			b.exists(s.p("n"), false)
		}},
		{name: "watch_children", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("p"), nil, persistent)
			b.getChildren(s.p("p"), true)
			a.create(s.p("p/a"), nil, persistent)
			b.getChildren2(s.p("p"), true)
			a.delete(s.p("p/a"), -1)
			b.getChildren(s.p("p"), true)
			a.setData(s.p("p"), []byte("data is not a child change"), -1)
			a.create(s.p("p/b"), nil, persistent)
			b.getChildren(s.p("p"), true)
			a.create(s.p("p/b/grandchild"), nil, persistent)
			a.setData(s.p("p/b"), []byte("nor is child data"), -1)
			b.getChildren(s.p("p"), false)
		}},
		{name: "watch_delete_fires_node_and_parent", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("p"), nil, persistent)
			a.create(s.p("p/c"), nil, persistent)
			b.getData(s.p("p/c"), true)
			b.exists(s.p("p/c"), true)
			b.getChildren(s.p("p/c"), true)
			b.getChildren(s.p("p"), true)
			b.getData(s.p("p"), true)
			a.delete(s.p("p/c"), -1)
			b.waitEvents(2, eventWait)
			b.getData(s.p("p"), false)
		}},
		{name: "watch_same_path_one_event_per_session", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			c := s.connect("C")
			a.create(s.p("n"), nil, persistent)
			b.getData(s.p("n"), true)
			b.exists(s.p("n"), true)
			b.getData(s.p("n"), true)
			c.exists(s.p("n"), true)
			a.setData(s.p("n"), []byte("x"), -1)
			b.waitEvents(1, eventWait)
			c.waitEvents(1, eventWait)
			b.sync(s.root)
			c.sync(s.root)
		}},
		{name: "watch_event_before_own_write_reply", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), nil, persistent)
			a.getData(s.p("n"), true)
			a.getChildren(s.root, true)
			a.setData(s.p("n"), []byte("x"), -1)
			a.create(s.p("m"), nil, persistent)
			a.exists(s.p("m"), true)
			a.delete(s.p("m"), -1)
		}},
		{name: "watch_event_before_later_read", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), []byte("0"), persistent)
			b.getData(s.p("n"), true)
			b.getChildren(s.root, true)
			a.setData(s.p("n"), []byte("1"), -1)
			a.create(s.p("m"), nil, persistent)
			b.getData(s.p("n"), false) // both events come before this reply
			b.getChildren(s.root, false)
		}},
		{name: "watch_not_set_on_missing_node_reads", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			b.getData(s.p("n"), true)
			b.getChildren(s.p("n"), true)
			b.getChildren2(s.p("n"), true)
			a.create(s.p("n"), nil, persistent)
			a.create(s.p("n/c"), nil, persistent)
			b.exists(s.p("n"), false)
		}},
		{name: "watch_failed_write_fires_nothing", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), nil, persistent)
			a.create(s.p("n/c"), nil, persistent)
			b.getData(s.p("n"), true)
			b.getChildren(s.p("n"), true)
			a.setData(s.p("n"), []byte("x"), 5)
			a.delete(s.p("n"), -1)
			a.create(s.p("n/c"), nil, persistent)
			a.multi(mCreate(s.p("n/d"), nil, persistent), mCheck(s.p("n"), 5))
			b.exists(s.p("n"), false)
			a.setData(s.p("n"), []byte("same"), -1)
			b.waitEvents(1, eventWait)
		}},
		{name: "watch_multi_events", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("x"), nil, persistent)
			b.getData(s.p("x"), true)
			b.exists(s.p("y"), true)
			b.getChildren(s.root, true)
			a.multi(mSetData(s.p("x"), []byte("1"), -1), mCreate(s.p("y"), nil, persistent), mDelete(s.p("x"), -1))
			b.sync(s.root)
		}},
		{name: "watch_pipelined_reads_and_writes", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("0"), persistent)
			x1 := a.send(zkproto.OpGetData, &zkproto.PathWatch{Path: s.p("n"), Watch: true}, "pipelined getData watch", bodyGetData(a.tr))
			x2 := a.send(zkproto.OpSetData, &zkproto.SetDataRequest{Path: s.p("n"), Data: []byte("1"), Version: -1}, "pipelined setData", bodyStat(a.tr))
			x3 := a.send(zkproto.OpGetData, &zkproto.PathWatch{Path: s.p("n"), Watch: false}, "pipelined getData", bodyGetData(a.tr))
			x4 := a.send(zkproto.OpDelete, &zkproto.PathVersion{Path: s.p("n"), Version: -1}, "pipelined delete", nil)
			for _, x := range []int32{x1, x2, x3, x4} {
				a.recv(x)
			}
		}},
		{name: "watch_persistent", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), nil, persistent)
			b.addWatch(s.p("n"), zkproto.AddWatchPersistent)
			a.setData(s.p("n"), []byte("1"), -1)
			a.setData(s.p("n"), []byte("2"), -1)
			a.create(s.p("n/c"), nil, persistent)
			a.create(s.p("n/c/d"), nil, persistent) // not recursive
			a.delete(s.p("n/c/d"), -1)
			a.delete(s.p("n/c"), -1)
			a.delete(s.p("n"), -1)
			a.create(s.p("n"), nil, persistent)
			b.sync(s.root)
			b.removeWatches(s.p("n"), zkproto.WatcherAny)
			a.setData(s.p("n"), []byte("3"), -1)
			b.sync(s.root)
		}},
		{name: "watch_persistent_recursive", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			b.addWatch(s.root, zkproto.AddWatchPersistentRecursive)
			a.create(s.p("a"), nil, persistent)
			a.create(s.p("a/b"), nil, persistent)
			a.setData(s.p("a/b"), []byte("x"), -1)
			a.delete(s.p("a/b"), -1)
			a.setData(s.root, []byte("root"), -1)
			b.sync(s.root)
		}},
		{name: "watch_remove_and_check", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), nil, persistent)
			b.checkWatches(s.p("n"), zkproto.WatcherData)
			b.removeWatches(s.p("n"), zkproto.WatcherData)
			b.getData(s.p("n"), true)
			b.getChildren(s.p("n"), true)
			b.checkWatches(s.p("n"), zkproto.WatcherData)
			b.removeWatches(s.p("n"), zkproto.WatcherData)
			b.removeWatches(s.p("n"), zkproto.WatcherData)
			b.checkWatches(s.p("n"), zkproto.WatcherChildren)
			b.removeWatches(s.p("n"), zkproto.WatcherAny)
			a.setData(s.p("n"), []byte("x"), -1)
			a.create(s.p("n/c"), nil, persistent)
			b.sync(s.root)
		}},
	}
}

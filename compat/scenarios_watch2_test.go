package compat

import (
	"fmt"

	"github.com/zabd/zabd/jute/zkproto"
)

// setWatches2 re-registers one-shot and persistent watches with the Java
// client's xid (-8).
func (c *rawConn) setWatches2(rel int64, dataW, existW, childW, persW, recW []string) reply {
	if c.conn == nil {
		c.logf(">", "setWatches2: not connected")
		return reply{}
	}
	req := &zkproto.SetWatches2{RelativeZxid: rel, DataWatches: dataW, ExistWatches: existW, ChildWatches: childW,
		PersistentWatches: persW, PersistentRecursiveWatches: recW}
	desc := fmt.Sprintf("relZxid=seen data=%v exist=%v child=%v persistent=%v recursive=%v", dataW, existW, childW, persW, recW)
	return c.recv(c.sendXid(zkproto.XidSetWatches, zkproto.OpSetWatches2, req, desc, nil))
}

// watch2Scenarios cover persistent and recursive watches (the events each
// change at each depth produces), removeWatches and checkWatches for each
// watcher type, setWatches2 on reconnect, and the order of events when a
// subtree is deleted.
func watch2Scenarios() []scenario {
	return []scenario{
		{name: "watch2_persistent_event_set", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			b.addWatch(s.p("p"), zkproto.AddWatchPersistent) // before the node exists
			a.create(s.p("p"), []byte("0"), persistent)
			a.setData(s.p("p"), []byte("1"), -1)
			a.create(s.p("p/c"), nil, persistent)
			a.setData(s.p("p/c"), []byte("child data"), -1) // not p's
			a.create(s.p("p/c/g"), nil, persistent)         // not a child of p
			a.delete(s.p("p/c/g"), -1)
			a.create(s.p("p/e"), nil, ephemeralSeq)
			a.multi(mDelete(s.p("p/c"), -1), mSetData(s.p("p"), []byte("2"), -1))
			a.setACL(s.p("p"), zkproto.OpenACLUnsafe, -1) // ACL changes fire nothing
			b.sync(s.root)
			a.delete(s.p("p"), -1) // NotEmpty
			a.getChildren(s.p("p"), false)
		}},
		{name: "watch2_persistent_survives_delete", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("p"), nil, persistent)
			b.addWatch(s.p("p"), zkproto.AddWatchPersistent)
			a.delete(s.p("p"), -1)
			a.create(s.p("p"), nil, ephemeral)
			a.delete(s.p("p"), -1)
			a.create(s.p("p"), nil, persistent)
			b.sync(s.root)
			b.checkWatches(s.p("p"), zkproto.WatcherAny)
			b.removeWatches(s.p("p"), zkproto.WatcherAny)
			b.checkWatches(s.p("p"), zkproto.WatcherAny)
			a.delete(s.p("p"), -1)
			b.sync(s.root)
		}},
		{name: "watch2_recursive_depths", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("r"), nil, persistent)
			a.create(s.p("rx"), nil, persistent) // shares the prefix, not the subtree
			b.addWatch(s.p("r"), zkproto.AddWatchPersistentRecursive)
			for _, p := range []string{"r/a", "r/a/b", "r/a/b/c", "r/a/b/c/d"} {
				a.create(s.p(p), nil, persistent)
			}
			for _, p := range []string{"r", "r/a", "r/a/b", "r/a/b/c", "r/a/b/c/d", "rx"} {
				a.setData(s.p(p), []byte(p), -1)
			}
			a.create(s.p("rx/y"), nil, persistent)
			a.create(s.p("r/a/s-"), nil, persistSeq)
			for _, p := range []string{"r/a/b/c/d", "r/a/b/c", "r/a/b"} {
				a.delete(s.p(p), -1)
			}
			b.sync(s.root)
			a.multi(mCreate(s.p("r/m"), nil, persistent), mCreate(s.p("r/m/n"), nil, persistent),
				mSetData(s.p("r/m"), []byte("m"), -1), mDelete(s.p("r/m/n"), -1))
			b.sync(s.root)
		}},
		{name: "watch2_recursive_root_itself", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			b.addWatch(s.p("r"), zkproto.AddWatchPersistentRecursive)
			a.create(s.p("r"), nil, persistent)
			a.setData(s.p("r"), []byte("x"), -1)
			a.create(s.p("r/c"), nil, persistent)
			a.delete(s.p("r/c"), -1)
			a.delete(s.p("r"), -1)
			a.create(s.p("r"), nil, persistent)
			b.sync(s.root)
		}},
		{name: "watch2_recursive_and_persistent_overlap", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("r"), nil, persistent)
			a.create(s.p("r/a"), nil, persistent)
			b.addWatch(s.p("r"), zkproto.AddWatchPersistentRecursive)
			b.addWatch(s.p("r/a"), zkproto.AddWatchPersistent)
			b.getData(s.p("r/a/x"), false)
			b.exists(s.p("r/a/x"), true) // a one-shot watch below the recursive one
			a.setData(s.p("r/a"), []byte("1"), -1)
			a.create(s.p("r/a/x"), nil, persistent)
			a.setData(s.p("r/a/x"), []byte("1"), -1)
			a.delete(s.p("r/a/x"), -1)
			a.delete(s.p("r/a"), -1)
			b.sync(s.root)
		}},
		{name: "watch2_recursive_two_sessions_nested", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			c := s.connect("C")
			a.create(s.p("r"), nil, persistent)
			a.create(s.p("r/a"), nil, persistent)
			b.addWatch(s.p("r"), zkproto.AddWatchPersistentRecursive)
			c.addWatch(s.p("r/a"), zkproto.AddWatchPersistentRecursive)
			c.addWatch(s.p("r/a"), zkproto.AddWatchPersistentRecursive) // twice: still one watch
			a.create(s.p("r/a/b"), nil, persistent)
			a.create(s.p("r/z"), nil, persistent)
			a.setData(s.p("r/a/b"), []byte("x"), -1)
			b.sync(s.root)
			c.sync(s.root)
			c.removeWatches(s.p("r/a"), zkproto.WatcherAny)
			a.delete(s.p("r/a/b"), -1)
			b.sync(s.root)
			c.sync(s.root)
		}},
		{name: "watch2_recursive_ephemerals_on_close", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			e := s.connect("E")
			a.create(s.p("r"), nil, persistent)
			a.create(s.p("r/d"), nil, persistent)
			b.addWatch(s.p("r"), zkproto.AddWatchPersistentRecursive)
			e.create(s.p("r/e1"), nil, ephemeral)
			e.create(s.p("r/d/e2"), nil, ephemeral)
			b.sync(s.root)
			e.closeSession()
			e.expectClosed()
			b.waitEvents(2, eventWait) // in ZooKeeper's HashSet order
			b.sync(s.root)
		}},
		{name: "watch2_remove_and_check_each_type", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), nil, persistent)
			types := []zkproto.WatcherType{zkproto.WatcherChildren, zkproto.WatcherData, zkproto.WatcherAny}
			for _, t := range types {
				b.checkWatches(s.p("n"), t) // no watch at all
				b.removeWatches(s.p("n"), t)
				b.checkWatches(s.p("missing"), t)
			}
			b.getData(s.p("n"), true)
			for _, t := range types {
				b.checkWatches(s.p("n"), t)
			}
			b.getChildren(s.p("n"), true)
			b.exists(s.p("missing"), true)
			for _, t := range types {
				b.checkWatches(s.p("n"), t)
				b.checkWatches(s.p("missing"), t)
			}
			b.removeWatches(s.p("n"), zkproto.WatcherData)
			b.checkWatches(s.p("n"), zkproto.WatcherData)
			b.checkWatches(s.p("n"), zkproto.WatcherChildren)
			a.setData(s.p("n"), []byte("x"), -1) // no data watch left
			a.create(s.p("n/c"), nil, persistent)
			b.sync(s.root)
			b.checkWatches(s.p("n"), zkproto.WatcherAny)
			b.removeWatches(s.p("missing"), zkproto.WatcherChildren)
			b.removeWatches(s.p("missing"), zkproto.WatcherAny)
			b.removeWatches(s.p("missing"), zkproto.WatcherAny)
			a.create(s.p("missing"), nil, persistent)
			b.getChildren(s.p("n"), true)
			b.getData(s.p("n"), true)
			b.removeWatches(s.p("n"), zkproto.WatcherChildren)
			a.delete(s.p("n/c"), -1)
			a.setData(s.p("n"), []byte("y"), -1)
			b.sync(s.root)
		}},
		{name: "watch2_remove_persistent_with_any", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("p"), nil, persistent)
			a.create(s.p("r"), nil, persistent)
			b.addWatch(s.p("p"), zkproto.AddWatchPersistent)
			b.addWatch(s.p("r"), zkproto.AddWatchPersistentRecursive)
			b.checkWatches(s.p("p"), zkproto.WatcherAny)
			b.checkWatches(s.p("r"), zkproto.WatcherAny)
			b.checkWatches(s.p("r/x"), zkproto.WatcherAny) // not a watch of its own
			b.removeWatches(s.p("p"), zkproto.WatcherAny)
			b.removeWatches(s.p("r"), zkproto.WatcherAny)
			b.checkWatches(s.p("p"), zkproto.WatcherAny)
			a.setData(s.p("p"), []byte("x"), -1)
			a.create(s.p("r/x"), nil, persistent)
			b.sync(s.root)
		}},
		{name: "watch2_remove_watches_other_session", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			c := s.connect("C")
			a.create(s.p("n"), nil, persistent)
			b.getData(s.p("n"), true)
			c.removeWatches(s.p("n"), zkproto.WatcherData) // B's watch is not C's
			c.removeWatches(s.p("n"), zkproto.WatcherAny)
			a.setData(s.p("n"), []byte("x"), -1)
			b.sync(s.root)
		}},
		{name: "watch2_remove_watches_bad_type", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), nil, persistent)
			a.getData(s.p("n"), true)
			a.removeWatches(s.p("n"), zkproto.WatcherType(0))
			a.checkWatches(s.p("n"), zkproto.WatcherType(9))
			a.checkWatches(s.p("n"), zkproto.WatcherData)
		}},
		{name: "watch2_add_watch_modes", run: func(s *scen) {
			a := s.setup()
			a.addWatch(s.p("missing/deep"), zkproto.AddWatchPersistent)
			a.addWatch(s.p("x"), 2)
			a.addWatch(s.p("x"), -1)
			a.create(s.p("missing"), nil, persistent)
			a.create(s.p("missing/deep"), nil, persistent)
			a.sync(s.root)
		}},
		{name: "watch2_set_watches2_restores_persistent", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("p"), []byte("0"), persistent)
			a.create(s.p("r"), nil, persistent)
			a.create(s.p("d"), []byte("0"), persistent)
			a.create(s.p("k"), nil, persistent)
			w := s.connectWith("W", connectOpts{timeout: 20000})
			w.addWatch(s.p("p"), zkproto.AddWatchPersistent)
			w.addWatch(s.p("r"), zkproto.AddWatchPersistentRecursive)
			w.getData(s.p("d"), true)
			w.getChildren(s.p("k"), true)
			w.exists(s.p("new"), true)
			rel := w.lastZxid
			w.drop()
			// Missed while disconnected: one-shot watches fire on
			// setWatches2 from relZxid; persistent ones are only restored.
			a.setData(s.p("p"), []byte("1"), -1)
			a.create(s.p("r/x"), nil, persistent)
			a.setData(s.p("d"), []byte("1"), -1)
			a.create(s.p("new"), nil, persistent)
			w2 := s.reconnect(w, "W2")
			w2.setWatches2(rel, []string{s.p("d")}, []string{s.p("new")}, []string{s.p("k")},
				[]string{s.p("p")}, []string{s.p("r")})
			w2.checkWatches(s.p("p"), zkproto.WatcherAny)
			a.setData(s.p("p"), []byte("2"), -1)
			a.create(s.p("p/c"), nil, persistent)
			a.create(s.p("r/x/y"), nil, persistent)
			a.create(s.p("k/c"), nil, persistent)
			a.setData(s.p("d"), []byte("2"), -1) // fired already
			w2.sync(s.root)
			a.setData(s.p("p"), []byte("3"), -1)
			w2.sync(s.root)
		}},
		{name: "watch2_set_watches2_empty_and_missing", run: func(s *scen) {
			a := s.setup()
			w := s.connect("W")
			a.create(s.p("gone"), nil, persistent)
			w.addWatch(s.p("gone"), zkproto.AddWatchPersistent)
			rel := w.lastZxid
			w.drop()
			a.delete(s.p("gone"), -1)
			w2 := s.reconnect(w, "W2")
			w2.setWatches2(rel, []string{}, []string{}, []string{}, []string{s.p("gone"), s.p("never")}, []string{s.p("never2")})
			w2.setWatches2(rel, []string{}, []string{}, []string{}, []string{}, []string{})
			a.create(s.p("gone"), nil, persistent)
			a.create(s.p("never"), nil, persistent)
			a.create(s.p("never2"), nil, persistent)
			a.create(s.p("never2/c"), nil, persistent)
			w2.sync(s.root)
		}},
		{name: "watch2_reconnect_without_set_watches", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), nil, persistent)
			w := s.connect("W")
			w.addWatch(s.p("n"), zkproto.AddWatchPersistent)
			w.getChildren(s.p("n"), true)
			w2 := s.reconnect(w, "W2") // the server closes W; its watches go with it
			w.exists(s.p("n"), false)
			a.setData(s.p("n"), []byte("x"), -1)
			a.create(s.p("n/c"), nil, persistent)
			w2.sync(s.root)
			w2.checkWatches(s.p("n"), zkproto.WatcherAny)
		}},
		{name: "watch2_child_watch_after_reconnect", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("k"), nil, persistent)
			a.create(s.p("quiet"), nil, persistent)
			w := s.connect("W")
			w.getChildren(s.p("k"), true)
			w.getChildren(s.p("quiet"), true)
			rel := w.lastZxid
			w.drop()
			w2 := s.reconnect(w, "W2")
			w2.setWatches(rel, []string{}, []string{}, []string{s.p("k"), s.p("quiet")})
			w2.checkWatches(s.p("k"), zkproto.WatcherChildren)
			a.create(s.p("k/c"), nil, persistent)
			w2.sync(s.root)
			a.create(s.p("k/d"), nil, persistent) // fired already
			a.setData(s.p("quiet"), []byte("data is not children"), -1)
			a.delete(s.p("quiet"), -1)
			w2.sync(s.root)
		}},
		{name: "watch2_delete_parent_ordering", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("p"), nil, persistent)
			a.create(s.p("p/c"), nil, persistent)
			b.getData(s.p("p/c"), true)
			b.getChildren(s.p("p/c"), true)
			b.getData(s.p("p"), true)
			b.getChildren(s.p("p"), true)
			b.getChildren(s.root, true)
			a.delete(s.p("p/c"), -1)
			a.delete(s.p("p"), -1)
			b.sync(s.root)
			c := s.connect("C")
			a.create(s.p("q"), nil, persistent)
			a.create(s.p("q/c"), nil, persistent)
			a.create(s.p("q/c/d"), nil, persistent)
			c.addWatch(s.p("q"), zkproto.AddWatchPersistent)
			c.addWatch(s.p("q/c"), zkproto.AddWatchPersistent)
			c.addWatch(s.p("q/c/d"), zkproto.AddWatchPersistent)
			c.getChildren(s.root, true)
			a.multi(mDelete(s.p("q/c/d"), -1), mDelete(s.p("q/c"), -1), mDelete(s.p("q"), -1))
			c.sync(s.root)
		}},
		{name: "watch2_persistent_and_one_shot_same_path", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), []byte("0"), persistent)
			b.getData(s.p("n"), true)
			b.addWatch(s.p("n"), zkproto.AddWatchPersistent)
			a.setData(s.p("n"), []byte("1"), -1)
			a.setData(s.p("n"), []byte("2"), -1)
			b.sync(s.root)
		}},
		{name: "watch2_one_shot_after_persistent_same_path", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), []byte("0"), persistent)
			b.addWatch(s.p("n"), zkproto.AddWatchPersistent)
			b.getData(s.p("n"), true)
			a.setData(s.p("n"), []byte("1"), -1)
			a.setData(s.p("n"), []byte("2"), -1)
			a.create(s.p("n/c"), nil, persistent)
			b.sync(s.root)
		}},
		{name: "watch2_check_watches_persistent_as_data", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), []byte("0"), persistent)
			b.addWatch(s.p("n"), zkproto.AddWatchPersistent)
			b.checkWatches(s.p("n"), zkproto.WatcherData)
			b.checkWatches(s.p("n"), zkproto.WatcherChildren)
			b.removeWatches(s.p("n"), zkproto.WatcherData)
			a.setData(s.p("n"), []byte("1"), -1)
			a.create(s.p("n/c"), nil, persistent)
			b.sync(s.root)
		}},
		{name: "watch2_check_watches_other_session", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			c := s.connect("C")
			a.create(s.p("n"), nil, persistent)
			b.getData(s.p("n"), true)
			c.checkWatches(s.p("n"), zkproto.WatcherData)
			c.checkWatches(s.p("n"), zkproto.WatcherAny)
		}},
		{name: "watch2_remove_and_check_persistent_types", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), nil, persistent)
			b.addWatch(s.p("n"), zkproto.AddWatchPersistent)
			b.checkWatches(s.p("n"), zkproto.WatcherPersistent)
			b.checkWatches(s.p("n"), zkproto.WatcherPersistentRecursive)
			b.removeWatches(s.p("n"), zkproto.WatcherPersistentRecursive)
			b.removeWatches(s.p("n"), zkproto.WatcherPersistent)
			a.setData(s.p("n"), []byte("x"), -1)
			b.sync(s.root)
		}},
	}
}

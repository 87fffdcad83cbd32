package watch

import (
	"reflect"
	"testing"

	"github.com/zabd/zabd/jute/zkproto"
)

type rec struct {
	got    []string
	denied bool
}

func (r *rec) CanRead([]zkproto.ACL) bool { return !r.denied }

func (r *rec) Notify(typ zkproto.EventType, path string) {
	r.got = append(r.got, map[zkproto.EventType]string{
		zkproto.EventNodeCreated: "created", zkproto.EventNodeDeleted: "deleted",
		zkproto.EventNodeDataChanged: "changed", zkproto.EventNodeChildrenChanged: "children",
	}[typ]+" "+path)
}

func TestOneShotFiresOnce(t *testing.T) {
	m := New()
	w := &rec{}
	m.Add(w, "/a", Data)
	m.Trigger(zkproto.EventNodeDataChanged, "/a", nil)
	m.Trigger(zkproto.EventNodeDataChanged, "/a", nil)
	if want := []string{"changed /a"}; !reflect.DeepEqual(w.got, want) {
		t.Fatalf("events = %v, want %v", w.got, want)
	}
	if n, p := m.Count(); n != 0 || p != 0 {
		t.Fatalf("Count = %d, %d after firing", n, p)
	}
}

func TestDeleteFiresDataAndChildOnce(t *testing.T) {
	m := New()
	w := &rec{}
	m.Add(w, "/a", Data)
	m.Add(w, "/a", Child)
	m.Add(w, "/", Child)
	m.Trigger(zkproto.EventNodeDeleted, "/a", nil)
	m.Trigger(zkproto.EventNodeChildrenChanged, "/", nil)
	if want := []string{"deleted /a", "children /"}; !reflect.DeepEqual(w.got, want) {
		t.Fatalf("events = %v, want %v", w.got, want)
	}
}

func TestChildWatchIgnoresDataChange(t *testing.T) {
	m := New()
	w := &rec{}
	m.Add(w, "/a", Child)
	m.Trigger(zkproto.EventNodeDataChanged, "/a", nil)
	if len(w.got) != 0 {
		t.Fatalf("events = %v, want none", w.got)
	}
	if !m.Has(w, "/a", Child) {
		t.Fatal("child watch consumed by a data change")
	}
}

func TestPersistentAndRecursive(t *testing.T) {
	m := New()
	p, r := &rec{}, &rec{}
	m.Add(p, "/a", Persistent)
	m.Add(r, "/a", Recursive)
	m.Trigger(zkproto.EventNodeCreated, "/a/b", nil)
	m.Trigger(zkproto.EventNodeChildrenChanged, "/a", nil)
	m.Trigger(zkproto.EventNodeDataChanged, "/a", nil)
	m.Trigger(zkproto.EventNodeDataChanged, "/a", nil)
	if want := []string{"children /a", "changed /a", "changed /a"}; !reflect.DeepEqual(p.got, want) {
		t.Fatalf("persistent events = %v, want %v", p.got, want)
	}
	if want := []string{"created /a/b", "changed /a", "changed /a"}; !reflect.DeepEqual(r.got, want) {
		t.Fatalf("recursive events = %v, want %v", r.got, want)
	}
	if had := m.Remove(r, "/a", Recursive); had != Recursive {
		t.Fatalf("Remove = %v", had)
	}
	m.Trigger(zkproto.EventNodeCreated, "/a/c", nil)
	if len(r.got) != 3 {
		t.Fatalf("recursive watch fired after removal: %v", r.got)
	}
	m.RemoveWatcher(p)
	if n, _ := m.Count(); n != 0 {
		t.Fatalf("Count = %d after RemoveWatcher", n)
	}
}

func TestNoReadNoEvent(t *testing.T) {
	m := New()
	w := &rec{denied: true}
	m.Add(w, "/a", Data)
	m.Trigger(zkproto.EventNodeDataChanged, "/a", zkproto.OpenACLUnsafe)
	if len(w.got) != 0 {
		t.Fatalf("events = %v, want none without READ", w.got)
	}
	if m.Has(w, "/a", Data) {
		t.Fatal("one-shot watch not consumed by an event its session may not read")
	}
}

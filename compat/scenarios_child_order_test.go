package compat

import (
	"fmt"
	"strings"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// getChildrenInOrder is getChildren with the names in the order the
// server sent them (the transcript sorts them elsewhere).
func (c *rawConn) getChildrenInOrder(path string) reply {
	return c.call(zkproto.OpGetChildren, &zkproto.PathWatch{Path: path}, fmt.Sprintf("%q in order", path), func(d *jute.Decoder) (string, any) {
		var r zkproto.StringsRecord
		r.Decode(d)
		return "children in order=[" + strings.Join(r.Strings, " ") + "]", r.Strings
	})
}

// getEphemeralsInOrder is getEphemerals with the paths in the order the
// server sent them.
func (c *rawConn) getEphemeralsInOrder(prefix string) reply {
	return c.call(zkproto.OpGetEphemerals, &zkproto.PathOnly{Path: prefix}, fmt.Sprintf("%q in order", prefix), func(d *jute.Decoder) (string, any) {
		var r zkproto.StringsRecord
		r.Decode(d)
		return "ephemerals in order=[" + strings.Join(r.Strings, " ") + "]", r.Strings
	})
}

// childOrderScenarios check the order of getChildren's names: ZooKeeper
// lists a node's children in the iteration order of its Java HashSet
// (datatree.OrderedChildren), which depends on their hashes, their
// creation order and the most children the node ever had.
func childOrderScenarios() []scenario {
	var out []scenario
	for _, n := range []int{3, 13, 30} {
		out = append(out, scenario{name: fmt.Sprintf("get_children_order_%d", n), run: func(s *scen) {
			a := s.setup()
			a.create(s.p("p"), nil, persistent)
			for i := range n {
				a.create(s.p(fmt.Sprintf("p/c%d", i*7%n)), nil, persistent)
			}
			a.getChildrenInOrder(s.p("p"))
			// Fewer children in a table sized for the most it had; a
			// name created again goes to the end of its bucket.
			for i := range n {
				if i%3 != 0 {
					a.delete(s.p(fmt.Sprintf("p/c%d", i)), -1)
				}
			}
			a.create(s.p("p/c1"), nil, persistent)
			a.getChildrenInOrder(s.p("p"))
			a.create(s.p("p/x-"), nil, persistSeq)
			a.create(s.p("p/x-"), nil, persistSeq)
			a.getChildrenInOrder(s.p("p"))
		}})
	}
	// getEphemerals lists a clone of the session's set (see
	// ephemeralOrderScenarios), filtered by the prefix.
	out = append(out, scenario{name: "get_ephemerals_order", run: func(s *scen) {
		a := s.setup()
		b := s.connect("B")
		a.create(s.p("p"), nil, persistent)
		a.create(s.p("q"), nil, persistent)
		for i := range 17 {
			dir := "p"
			if i%4 == 1 {
				dir = "q"
			}
			b.create(s.p(fmt.Sprintf("%s/e%d", dir, i)), nil, ephemeral)
		}
		b.delete(s.p("p/e4"), -1)
		b.getEphemeralsInOrder("/")
		b.getEphemeralsInOrder(s.p("p"))
		b.getEphemeralsInOrder(" / ")
		b.getEphemeralsInOrder(s.p("q/"))
		a.getEphemeralsInOrder("/")
	}})
	out = append(out, scenario{name: "get_children_order_system", run: func(s *scen) {
		a := s.setup()
		a.getChildrenInOrder("/zookeeper")
	}})
	return out
}

package datatree

import (
	"encoding/binary"
	"slices"

	"github.com/zabd/zabd/jute/zkproto"
)

// maxInternedACLs bounds the distinct ACL lists a tree shares between its
// nodes. Past it a new list is kept by its node alone, so that a workload
// giving every node its own list costs no more than it did without
// sharing.
const maxInternedACLs = 4096

// aclCache lets the nodes of a tree share one copy of each distinct ACL
// list, as ZooKeeper's ReferenceCountedACLCache does with its long indexes:
// most trees hold a handful of lists over millions of nodes, and a list
// decoded per request costs each node a slice and two strings (about 64
// bytes for world:anyone). Lists are immutable once in a node. Entries are
// never dropped; maxInternedACLs bounds them instead of a reference count.
type aclCache struct {
	lists map[string][]zkproto.ACL
	key   []byte
	last  []zkproto.ACL
}

// intern returns the shared copy of acl, which it becomes if it is new.
// The caller holds the tree's write lock.
func (c *aclCache) intern(acl []zkproto.ACL) []zkproto.ACL {
	if len(acl) == 0 {
		return acl
	}
	if c.last != nil && slices.Equal(acl, c.last) {
		return c.last
	}
	c.key = c.key[:0]
	for _, a := range acl {
		c.key = binary.BigEndian.AppendUint32(c.key, uint32(a.Perms))
		c.key = binary.BigEndian.AppendUint32(c.key, uint32(len(a.ID.Scheme)))
		c.key = append(c.key, a.ID.Scheme...)
		c.key = binary.BigEndian.AppendUint32(c.key, uint32(len(a.ID.ID)))
		c.key = append(c.key, a.ID.ID...)
	}
	if l, ok := c.lists[string(c.key)]; ok {
		c.last = l
		return l
	}
	if len(c.lists) >= maxInternedACLs {
		return acl
	}
	if c.lists == nil {
		c.lists = make(map[string][]zkproto.ACL)
	}
	l := slices.Clip(slices.Clone(acl))
	c.lists[string(c.key)] = l
	c.last = l
	return l
}

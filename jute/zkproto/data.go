package zkproto

import "github.com/zabd/zabd/jute"

// Id is an authentication identity: a scheme and an id within it.
type Id struct {
	Scheme string
	ID     string
}

func (r *Id) Encode(e *jute.Encoder) { e.String(r.Scheme); e.String(r.ID) }
func (r *Id) Decode(d *jute.Decoder) { r.Scheme = d.String(); r.ID = d.String() }

// ACL grants Perms to an Id.
type ACL struct {
	Perms int32
	ID    Id
}

func (r *ACL) Encode(e *jute.Encoder) { e.Int32(r.Perms); r.ID.Encode(e) }
func (r *ACL) Decode(d *jute.Decoder) { r.Perms = d.Int32(); r.ID.Decode(d) }

// EncodeACLs appends a vector<ACL>; nil is written as null.
func EncodeACLs(e *jute.Encoder, v []ACL) {
	e.Len(len(v), v == nil)
	for i := range v {
		v[i].Encode(e)
	}
}

// DecodeACLs reads a vector<ACL>; null reads as nil.
func DecodeACLs(d *jute.Decoder) []ACL {
	n, null := d.VectorLen(12)
	if null || d.Err() != nil {
		return nil
	}
	v := make([]ACL, n)
	for i := range v {
		v[i].Decode(d)
	}
	return v
}

// EncodeIds appends a vector<Id>; nil is written as null.
func EncodeIds(e *jute.Encoder, v []Id) {
	e.Len(len(v), v == nil)
	for i := range v {
		v[i].Encode(e)
	}
}

// DecodeIds reads a vector<Id>; null reads as nil.
func DecodeIds(d *jute.Decoder) []Id {
	n, null := d.VectorLen(8)
	if null || d.Err() != nil {
		return nil
	}
	v := make([]Id, n)
	for i := range v {
		v[i].Decode(d)
	}
	return v
}

// Well-known ACLs of ZooDefs.Ids.
var (
	AnyoneID      = Id{Scheme: "world", ID: "anyone"}
	AuthIDs       = Id{Scheme: "auth", ID: ""}
	OpenACLUnsafe = []ACL{{Perms: PermAll, ID: AnyoneID}}
	ReadACLUnsafe = []ACL{{Perms: PermRead, ID: AnyoneID}}
)

// Stat is the znode metadata shared with the client (68 bytes on the wire).
type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

// StatSize is the encoded size of a Stat.
const StatSize = 68

func (r *Stat) Encode(e *jute.Encoder) {
	e.Int64(r.Czxid)
	e.Int64(r.Mzxid)
	e.Int64(r.Ctime)
	e.Int64(r.Mtime)
	e.Int32(r.Version)
	e.Int32(r.Cversion)
	e.Int32(r.Aversion)
	e.Int64(r.EphemeralOwner)
	e.Int32(r.DataLength)
	e.Int32(r.NumChildren)
	e.Int64(r.Pzxid)
}

func (r *Stat) Decode(d *jute.Decoder) {
	r.Czxid = d.Int64()
	r.Mzxid = d.Int64()
	r.Ctime = d.Int64()
	r.Mtime = d.Int64()
	r.Version = d.Int32()
	r.Cversion = d.Int32()
	r.Aversion = d.Int32()
	r.EphemeralOwner = d.Int64()
	r.DataLength = d.Int32()
	r.NumChildren = d.Int32()
	r.Pzxid = d.Int64()
}

// StatPersisted is the znode metadata the server stores in snapshots.
type StatPersisted struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	Pzxid          int64
}

func (r *StatPersisted) Encode(e *jute.Encoder) {
	e.Int64(r.Czxid)
	e.Int64(r.Mzxid)
	e.Int64(r.Ctime)
	e.Int64(r.Mtime)
	e.Int32(r.Version)
	e.Int32(r.Cversion)
	e.Int32(r.Aversion)
	e.Int64(r.EphemeralOwner)
	e.Int64(r.Pzxid)
}

func (r *StatPersisted) Decode(d *jute.Decoder) {
	r.Czxid = d.Int64()
	r.Mzxid = d.Int64()
	r.Ctime = d.Int64()
	r.Mtime = d.Int64()
	r.Version = d.Int32()
	r.Cversion = d.Int32()
	r.Aversion = d.Int32()
	r.EphemeralOwner = d.Int64()
	r.Pzxid = d.Int64()
}

package zkproto

import "github.com/zabd/zabd/jute"

// TxnHeader precedes every txn in the log and in PROPOSAL packets.
type TxnHeader struct {
	ClientID int64
	Cxid     int32
	Zxid     int64
	Time     int64
	Type     OpCode
}

// TxnHeaderSize is the encoded size of a TxnHeader.
const TxnHeaderSize = 32

func (r *TxnHeader) Encode(e *jute.Encoder) {
	e.Int64(r.ClientID)
	e.Int32(r.Cxid)
	e.Int64(r.Zxid)
	e.Int64(r.Time)
	e.Int32(int32(r.Type))
}

func (r *TxnHeader) Decode(d *jute.Decoder) {
	r.ClientID = d.Int64()
	r.Cxid = d.Int32()
	r.Zxid = d.Int64()
	r.Time = d.Int64()
	r.Type = OpCode(d.Int32())
}

// TxnDigest follows a txn when digests are enabled.
type TxnDigest struct {
	Version    int32
	TreeDigest int64
}

func (r *TxnDigest) Encode(e *jute.Encoder) { e.Int32(r.Version); e.Int64(r.TreeDigest) }
func (r *TxnDigest) Decode(d *jute.Decoder) { r.Version = d.Int32(); r.TreeDigest = d.Int64() }

// CreateTxnV0 is the pre-3.3 create txn, without ParentCVersion.
type CreateTxnV0 struct {
	Path      string
	Data      []byte
	ACL       []ACL
	Ephemeral bool
}

func (r *CreateTxnV0) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Bool(r.Ephemeral)
}

func (r *CreateTxnV0) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Ephemeral = d.Bool()
}

// CreateTxn creates a znode (create, create2).
type CreateTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	Ephemeral      bool
	ParentCVersion int32
}

func (r *CreateTxn) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Bool(r.Ephemeral)
	e.Int32(r.ParentCVersion)
}

func (r *CreateTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Ephemeral = d.Bool()
	r.ParentCVersion = d.Int32()
}

// CreateTTLTxn creates a TTL znode.
type CreateTTLTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
	TTL            int64
}

func (r *CreateTTLTxn) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int32(r.ParentCVersion)
	e.Int64(r.TTL)
}

func (r *CreateTTLTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.ParentCVersion = d.Int32()
	r.TTL = d.Int64()
}

// CreateContainerTxn creates a container znode.
type CreateContainerTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
}

func (r *CreateContainerTxn) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int32(r.ParentCVersion)
}

func (r *CreateContainerTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.ParentCVersion = d.Int32()
}

// Txn is one sub-txn of a MultiTxn: its type and its encoded record.
type Txn struct {
	Type OpCode
	Data []byte
}

func (r *Txn) Encode(e *jute.Encoder) { e.Int32(int32(r.Type)); e.Buffer(r.Data) }
func (r *Txn) Decode(d *jute.Decoder) { r.Type = OpCode(d.Int32()); r.Data = d.Buffer() }

// MultiTxn is the txn of a multi request.
type MultiTxn struct {
	Txns []Txn
}

func (r *MultiTxn) Encode(e *jute.Encoder) {
	e.Len(len(r.Txns), r.Txns == nil)
	for i := range r.Txns {
		r.Txns[i].Encode(e)
	}
}

func (r *MultiTxn) Decode(d *jute.Decoder) {
	n, null := d.VectorLen(8)
	if null || d.Err() != nil {
		r.Txns = nil
		return
	}
	r.Txns = make([]Txn, n)
	for i := range r.Txns {
		r.Txns[i].Decode(d)
	}
}

// LearnerInfo is the payload of FOLLOWERINFO and OBSERVERINFO.
type LearnerInfo struct {
	ServerID        int64
	ProtocolVersion int32
	ConfigVersion   int64
}

func (r *LearnerInfo) Encode(e *jute.Encoder) {
	e.Int64(r.ServerID)
	e.Int32(r.ProtocolVersion)
	e.Int64(r.ConfigVersion)
}

func (r *LearnerInfo) Decode(d *jute.Decoder) {
	r.ServerID = d.Int64()
	r.ProtocolVersion = d.Int32()
	r.ConfigVersion = d.Int64()
}

// QuorumPacket is every message between a leader and its learners.
type QuorumPacket struct {
	Type     int32
	Zxid     int64
	Data     []byte
	AuthInfo []Id
}

func (r *QuorumPacket) Encode(e *jute.Encoder) {
	e.Int32(r.Type)
	e.Int64(r.Zxid)
	e.Buffer(r.Data)
	EncodeIds(e, r.AuthInfo)
}

func (r *QuorumPacket) Decode(d *jute.Decoder) {
	r.Type = d.Int32()
	r.Zxid = d.Int64()
	r.Data = d.Buffer()
	r.AuthInfo = DecodeIds(d)
}

// QuorumAuthPacket carries quorum SASL tokens.
type QuorumAuthPacket struct {
	Magic  int64
	Status int32
	Token  []byte
}

func (r *QuorumAuthPacket) Encode(e *jute.Encoder) {
	e.Int64(r.Magic)
	e.Int32(r.Status)
	e.Buffer(r.Token)
}
func (r *QuorumAuthPacket) Decode(d *jute.Decoder) {
	r.Magic = d.Int64()
	r.Status = d.Int32()
	r.Token = d.Buffer()
}

// FileHeader opens a txn log or snapshot file.
type FileHeader struct {
	Magic   int32
	Version int32
	DBID    int64
}

// File magics of FileTxnLog and FileSnap.
const (
	TxnLogMagic   int32 = 0x5A4B4C47 // "ZKLG"
	SnapshotMagic int32 = 0x5A4B534E // "ZKSN"
)

func (r *FileHeader) Encode(e *jute.Encoder) { e.Int32(r.Magic); e.Int32(r.Version); e.Int64(r.DBID) }
func (r *FileHeader) Decode(d *jute.Decoder) {
	r.Magic = d.Int32()
	r.Version = d.Int32()
	r.DBID = d.Int64()
}

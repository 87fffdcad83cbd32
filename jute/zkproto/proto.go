package zkproto

import "github.com/zabd/zabd/jute"

// ConnectRequest opens or resumes a session. ReadOnly is an optional
// trailing byte: the Java client and kazoo send it, go-zookeeper does not;
// HasReadOnly records whether it was present, and Encode writes it only then.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

func (r *ConnectRequest) Encode(e *jute.Encoder) {
	e.Int32(r.ProtocolVersion)
	e.Int64(r.LastZxidSeen)
	e.Int32(r.TimeOut)
	e.Int64(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

func (r *ConnectRequest) Decode(d *jute.Decoder) {
	r.ProtocolVersion = d.Int32()
	r.LastZxidSeen = d.Int64()
	r.TimeOut = d.Int32()
	r.SessionID = d.Int64()
	r.Passwd = d.Buffer()
	r.HasReadOnly = d.Err() == nil && d.Remaining() > 0
	if r.HasReadOnly {
		r.ReadOnly = d.Bool()
	}
}

// ConnectResponse answers a ConnectRequest. ReadOnly is written only when
// HasReadOnly is set (the server echoes the client's form).
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

func (r *ConnectResponse) Encode(e *jute.Encoder) {
	e.Int32(r.ProtocolVersion)
	e.Int32(r.TimeOut)
	e.Int64(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

func (r *ConnectResponse) Decode(d *jute.Decoder) {
	r.ProtocolVersion = d.Int32()
	r.TimeOut = d.Int32()
	r.SessionID = d.Int64()
	r.Passwd = d.Buffer()
	r.HasReadOnly = d.Err() == nil && d.Remaining() > 0
	if r.HasReadOnly {
		r.ReadOnly = d.Bool()
	}
}

// SetWatches re-registers one-shot watches after a reconnect.
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

func (r *SetWatches) Encode(e *jute.Encoder) {
	e.Int64(r.RelativeZxid)
	e.Strings(r.DataWatches)
	e.Strings(r.ExistWatches)
	e.Strings(r.ChildWatches)
}

func (r *SetWatches) Decode(d *jute.Decoder) {
	r.RelativeZxid = d.Int64()
	r.DataWatches = d.Strings()
	r.ExistWatches = d.Strings()
	r.ChildWatches = d.Strings()
}

// SetWatches2 re-registers one-shot and persistent watches after a reconnect.
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

func (r *SetWatches2) Encode(e *jute.Encoder) {
	e.Int64(r.RelativeZxid)
	e.Strings(r.DataWatches)
	e.Strings(r.ExistWatches)
	e.Strings(r.ChildWatches)
	e.Strings(r.PersistentWatches)
	e.Strings(r.PersistentRecursiveWatches)
}

func (r *SetWatches2) Decode(d *jute.Decoder) {
	r.RelativeZxid = d.Int64()
	r.DataWatches = d.Strings()
	r.ExistWatches = d.Strings()
	r.ChildWatches = d.Strings()
	r.PersistentWatches = d.Strings()
	r.PersistentRecursiveWatches = d.Strings()
}

// RequestHeader precedes every request after the handshake.
type RequestHeader struct {
	Xid  int32
	Type OpCode
}

func (r *RequestHeader) Encode(e *jute.Encoder) { e.Int32(r.Xid); e.Int32(int32(r.Type)) }
func (r *RequestHeader) Decode(d *jute.Decoder) { r.Xid = d.Int32(); r.Type = OpCode(d.Int32()) }

// MultiHeader precedes each operation and result of a multi; a header with
// Type -1, Done true and Err -1 ends the list.
type MultiHeader struct {
	Type OpCode
	Done bool
	Err  Code
}

func (r *MultiHeader) Encode(e *jute.Encoder) {
	e.Int32(int32(r.Type))
	e.Bool(r.Done)
	e.Int32(int32(r.Err))
}

func (r *MultiHeader) Decode(d *jute.Decoder) {
	r.Type = OpCode(d.Int32())
	r.Done = d.Bool()
	r.Err = Code(d.Int32())
}

// AuthPacket carries addauth.
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

func (r *AuthPacket) Encode(e *jute.Encoder) { e.Int32(r.Type); e.String(r.Scheme); e.Buffer(r.Auth) }
func (r *AuthPacket) Decode(d *jute.Decoder) {
	r.Type = d.Int32()
	r.Scheme = d.String()
	r.Auth = d.Buffer()
}

// ReplyHeader precedes every reply and watch event.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  Code
}

// ReplyHeaderSize is the encoded size of a ReplyHeader.
const ReplyHeaderSize = 16

func (r *ReplyHeader) Encode(e *jute.Encoder) { e.Int32(r.Xid); e.Int64(r.Zxid); e.Int32(int32(r.Err)) }
func (r *ReplyHeader) Decode(d *jute.Decoder) {
	r.Xid = d.Int32()
	r.Zxid = d.Int64()
	r.Err = Code(d.Int32())
}

// PathWatch is the layout shared by GetDataRequest, ExistsRequest,
// GetChildrenRequest and GetChildren2Request: a path and a watch flag.
type PathWatch struct {
	Path  string
	Watch bool
}

func (r *PathWatch) Encode(e *jute.Encoder) { e.String(r.Path); e.Bool(r.Watch) }
func (r *PathWatch) Decode(d *jute.Decoder) { r.Path = d.String(); r.Watch = d.Bool() }

// Schema names for the PathWatch layout.
type (
	GetDataRequest      = PathWatch
	ExistsRequest       = PathWatch
	GetChildrenRequest  = PathWatch
	GetChildren2Request = PathWatch
)

// PathOnly is the layout of every record that holds just a path:
// GetAllChildrenNumberRequest, GetStatPersistedRequest, GetMaxChildrenRequest,
// SyncRequest, SyncResponse, GetACLRequest, GetEphemeralsRequest (prefixPath),
// CreateResponse and DeleteTxn.
type PathOnly struct {
	Path string
}

func (r *PathOnly) Encode(e *jute.Encoder) { e.String(r.Path) }
func (r *PathOnly) Decode(d *jute.Decoder) { r.Path = d.String() }

// Schema names for the PathOnly layout.
type (
	GetAllChildrenNumberRequest = PathOnly
	GetStatPersistedRequest     = PathOnly
	GetMaxChildrenRequest       = PathOnly
	SyncRequest                 = PathOnly
	SyncResponse                = PathOnly
	GetACLRequest               = PathOnly
	GetEphemeralsRequest        = PathOnly
	CreateResponse              = PathOnly
	DeleteTxn                   = PathOnly
)

// SetDataRequest replaces a znode's data if Version matches (-1: any).
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

func (r *SetDataRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	e.Int32(r.Version)
}
func (r *SetDataRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.Version = d.Int32()
}

// SetDataTxn has the SetDataRequest layout; Version is the new version.
type SetDataTxn = SetDataRequest

// ReconfigRequest changes the ensemble membership. The three strings are
// nullable: nil is a null ustring (length -1). NB: null and "" differ, as
// PrepRequestProcessor.pRequest2Txn (3.8.0) branches on newMembers != null
// (non-incremental) and on joiningServers/leavingServers != null, and zkCli's
// "reconfig -remove 3" sends the other two as null.
type ReconfigRequest struct {
	JoiningServers *string
	LeavingServers *string
	NewMembers     *string
	CurConfigID    int64
}

func (r *ReconfigRequest) Encode(e *jute.Encoder) {
	encodeNullableString(e, r.JoiningServers)
	encodeNullableString(e, r.LeavingServers)
	encodeNullableString(e, r.NewMembers)
	e.Int64(r.CurConfigID)
}

func (r *ReconfigRequest) Decode(d *jute.Decoder) {
	r.JoiningServers = decodeNullableString(d)
	r.LeavingServers = decodeNullableString(d)
	r.NewMembers = decodeNullableString(d)
	r.CurConfigID = d.Int64()
}

func encodeNullableString(e *jute.Encoder, s *string) {
	if s == nil {
		e.NullString()
		return
	}
	e.String(*s)
}

func decodeNullableString(d *jute.Decoder) *string {
	s, null := d.NullableString()
	if null || d.Err() != nil {
		return nil
	}
	return &s
}

// StatResponse is the layout of SetDataResponse, SetACLResponse and
// ExistsResponse: a single Stat.
type StatResponse struct {
	Stat Stat
}

func (r *StatResponse) Encode(e *jute.Encoder) { r.Stat.Encode(e) }
func (r *StatResponse) Decode(d *jute.Decoder) { r.Stat.Decode(d) }

// Schema names for the StatResponse layout.
type (
	SetDataResponse = StatResponse
	SetACLResponse  = StatResponse
	ExistsResponse  = StatResponse
)

// Token is the layout of GetSASLRequest, SetSASLRequest and SetSASLResponse.
type Token struct {
	Token []byte
}

func (r *Token) Encode(e *jute.Encoder) { e.Buffer(r.Token) }
func (r *Token) Decode(d *jute.Decoder) { r.Token = d.Buffer() }

// CreateRequest creates a znode; Flags is a CreateMode.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
}

func (r *CreateRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int32(int32(r.Flags))
}

func (r *CreateRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Flags = CreateMode(d.Int32())
}

// CreateTTLRequest creates a TTL znode.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
	TTL   int64
}

func (r *CreateTTLRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int32(int32(r.Flags))
	e.Int64(r.TTL)
}

func (r *CreateTTLRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Flags = CreateMode(d.Int32())
	r.TTL = d.Int64()
}

// PathVersion is the layout of DeleteRequest, CheckVersionRequest and
// CheckVersionTxn.
type PathVersion struct {
	Path    string
	Version int32
}

func (r *PathVersion) Encode(e *jute.Encoder) { e.String(r.Path); e.Int32(r.Version) }
func (r *PathVersion) Decode(d *jute.Decoder) { r.Path = d.String(); r.Version = d.Int32() }

// Schema names for the PathVersion layout.
type (
	DeleteRequest       = PathVersion
	CheckVersionRequest = PathVersion
	CheckVersionTxn     = PathVersion
)

// PathInt is the layout of SetMaxChildrenRequest, SetMaxChildrenTxn,
// AddWatchRequest, CheckWatchesRequest and RemoveWatchesRequest.
type PathInt struct {
	Path string
	N    int32
}

func (r *PathInt) Encode(e *jute.Encoder) { e.String(r.Path); e.Int32(r.N) }
func (r *PathInt) Decode(d *jute.Decoder) { r.Path = d.String(); r.N = d.Int32() }

// Schema names for the PathInt layout (N is max, mode or type).
type (
	SetMaxChildrenRequest = PathInt
	SetMaxChildrenTxn     = PathInt
	AddWatchRequest       = PathInt
	CheckWatchesRequest   = PathInt
	RemoveWatchesRequest  = PathInt
)

// IntRecord is the layout of every record holding one int:
// GetMaxChildrenResponse, ErrorResponse, GetAllChildrenNumberResponse,
// CreateSessionTxn and ErrorTxn.
type IntRecord struct {
	N int32
}

func (r *IntRecord) Encode(e *jute.Encoder) { e.Int32(r.N) }
func (r *IntRecord) Decode(d *jute.Decoder) { r.N = d.Int32() }

// Schema names for the IntRecord layout.
type (
	GetMaxChildrenResponse       = IntRecord
	ErrorResponse                = IntRecord
	GetAllChildrenNumberResponse = IntRecord
	CreateSessionTxn             = IntRecord
	ErrorTxn                     = IntRecord
)

// SetACLRequest replaces a znode's ACL if Version (the aversion) matches.
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (r *SetACLRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	EncodeACLs(e, r.ACL)
	e.Int32(r.Version)
}
func (r *SetACLRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.ACL = DecodeACLs(d)
	r.Version = d.Int32()
}

// SetACLTxn has the SetACLRequest layout; Version is the new aversion.
type SetACLTxn = SetACLRequest

// WatcherEvent is a watch notification, sent with xid -1.
type WatcherEvent struct {
	Type  EventType
	State KeeperState
	Path  string
}

func (r *WatcherEvent) Encode(e *jute.Encoder) {
	e.Int32(int32(r.Type))
	e.Int32(int32(r.State))
	e.String(r.Path)
}

func (r *WatcherEvent) Decode(d *jute.Decoder) {
	r.Type = EventType(d.Int32())
	r.State = KeeperState(d.Int32())
	r.Path = d.String()
}

// Create2Response answers create2, createContainer and createTTL.
type Create2Response struct {
	Path string
	Stat Stat
}

func (r *Create2Response) Encode(e *jute.Encoder) { e.String(r.Path); r.Stat.Encode(e) }
func (r *Create2Response) Decode(d *jute.Decoder) { r.Path = d.String(); r.Stat.Decode(d) }

// GetDataResponse answers getData.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

func (r *GetDataResponse) Encode(e *jute.Encoder) { e.Buffer(r.Data); r.Stat.Encode(e) }
func (r *GetDataResponse) Decode(d *jute.Decoder) { r.Data = d.Buffer(); r.Stat.Decode(d) }

// StringsRecord is the layout of GetChildrenResponse, GetEphemeralsResponse
// and CloseSessionTxn: one vector<ustring>.
type StringsRecord struct {
	Strings []string
}

func (r *StringsRecord) Encode(e *jute.Encoder) { e.Strings(r.Strings) }
func (r *StringsRecord) Decode(d *jute.Decoder) { r.Strings = d.Strings() }

// Schema names for the StringsRecord layout.
type (
	GetChildrenResponse   = StringsRecord
	GetEphemeralsResponse = StringsRecord
	CloseSessionTxn       = StringsRecord
)

// GetStatPersistedResponse answers getStatPersisted.
type GetStatPersistedResponse struct {
	StatPersisted StatPersisted
}

func (r *GetStatPersistedResponse) Encode(e *jute.Encoder) { r.StatPersisted.Encode(e) }
func (r *GetStatPersistedResponse) Decode(d *jute.Decoder) { r.StatPersisted.Decode(d) }

// GetChildren2Response answers getChildren2.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

func (r *GetChildren2Response) Encode(e *jute.Encoder) { e.Strings(r.Children); r.Stat.Encode(e) }
func (r *GetChildren2Response) Decode(d *jute.Decoder) { r.Children = d.Strings(); r.Stat.Decode(d) }

// GetACLResponse answers getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

func (r *GetACLResponse) Encode(e *jute.Encoder) { EncodeACLs(e, r.ACL); r.Stat.Encode(e) }
func (r *GetACLResponse) Decode(d *jute.Decoder) { r.ACL = DecodeACLs(d); r.Stat.Decode(d) }

// ClientInfo is one entry of WhoAmIResponse (3.7+, not in zookeeper.jute's
// proto module but in the same file's later versions).
type ClientInfo struct {
	AuthScheme string
	User       string
}

func (r *ClientInfo) Encode(e *jute.Encoder) { e.String(r.AuthScheme); e.String(r.User) }
func (r *ClientInfo) Decode(d *jute.Decoder) { r.AuthScheme = d.String(); r.User = d.String() }

// WhoAmIResponse answers whoAmI.
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

func (r *WhoAmIResponse) Encode(e *jute.Encoder) {
	e.Len(len(r.ClientInfo), r.ClientInfo == nil)
	for i := range r.ClientInfo {
		r.ClientInfo[i].Encode(e)
	}
}

func (r *WhoAmIResponse) Decode(d *jute.Decoder) {
	n, null := d.VectorLen(8)
	if null || d.Err() != nil {
		r.ClientInfo = nil
		return
	}
	r.ClientInfo = make([]ClientInfo, n)
	for i := range r.ClientInfo {
		r.ClientInfo[i].Decode(d)
	}
}

// Package zkproto holds every record of Apache ZooKeeper's Jute schema
// (zookeeper.jute: the data, proto, txn, quorum and persistence modules) in
// schema field order, with the protocol's enumerations: opcodes, error codes,
// event types, keeper states, create modes and permissions.
//
// Records are plain values; they are safe to share once built and never
// mutated. Field names follow the schema so that a reader can diff them
// against zookeeper.jute.
//
// Counterpart: org.apache.zookeeper.proto, .data, .txn, and ZooDefs.
package zkproto

import "fmt"

// OpCode is a request type (RequestHeader.Type, TxnHeader.Type).
type OpCode int32

// Opcodes, as ZooDefs.OpCode numbers them.
const (
	OpNotification         OpCode = 0
	OpCreate               OpCode = 1
	OpDelete               OpCode = 2
	OpExists               OpCode = 3
	OpGetData              OpCode = 4
	OpSetData              OpCode = 5
	OpGetACL               OpCode = 6
	OpSetACL               OpCode = 7
	OpGetChildren          OpCode = 8
	OpSync                 OpCode = 9
	OpPing                 OpCode = 11
	OpGetChildren2         OpCode = 12
	OpCheck                OpCode = 13
	OpMulti                OpCode = 14
	OpCreate2              OpCode = 15
	OpReconfig             OpCode = 16
	OpCheckWatches         OpCode = 17
	OpRemoveWatches        OpCode = 18
	OpCreateContainer      OpCode = 19
	OpDeleteContainer      OpCode = 20
	OpCreateTTL            OpCode = 21
	OpMultiRead            OpCode = 22
	OpAuth                 OpCode = 100
	OpSetWatches           OpCode = 101
	OpSASL                 OpCode = 102
	OpGetEphemerals        OpCode = 103
	OpGetAllChildrenNumber OpCode = 104
	OpSetWatches2          OpCode = 105
	OpAddWatch             OpCode = 106
	OpWhoAmI               OpCode = 107
	OpCreateSession        OpCode = -10
	OpCloseSession         OpCode = -11
	OpError                OpCode = -1
)

var opNames = map[OpCode]string{
	OpNotification: "notification", OpCreate: "create", OpDelete: "delete", OpExists: "exists",
	OpGetData: "getData", OpSetData: "setData", OpGetACL: "getACL", OpSetACL: "setACL",
	OpGetChildren: "getChildren", OpSync: "sync", OpPing: "ping", OpGetChildren2: "getChildren2",
	OpCheck: "check", OpMulti: "multi", OpCreate2: "create2", OpReconfig: "reconfig",
	OpCheckWatches: "checkWatches", OpRemoveWatches: "removeWatches",
	OpCreateContainer: "createContainer", OpDeleteContainer: "deleteContainer",
	OpCreateTTL: "createTTL", OpMultiRead: "multiRead", OpAuth: "auth", OpSetWatches: "setWatches",
	OpSASL: "sasl", OpGetEphemerals: "getEphemerals", OpGetAllChildrenNumber: "getAllChildrenNumber",
	OpSetWatches2: "setWatches2", OpAddWatch: "addWatch", OpWhoAmI: "whoAmI",
	OpCreateSession: "createSession", OpCloseSession: "closeSession", OpError: "error",
}

func (o OpCode) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", int32(o))
}

// Special xids the client and server use outside the request sequence.
const (
	XidWatchEvent int32 = -1
	XidPing       int32 = -2
	XidAuth       int32 = -4
	XidSetWatches int32 = -8
)

// Code is a ZooKeeper error code as carried in ReplyHeader.Err. Like
// syscall.Errno a Code is itself an error; Code(0) is never returned as one.
type Code int32

// Error codes, as KeeperException.Code numbers them.
const (
	Ok                       Code = 0
	ErrSystemError           Code = -1
	ErrRuntimeInconsistency  Code = -2
	ErrDataInconsistency     Code = -3
	ErrConnectionLoss        Code = -4
	ErrMarshallingError      Code = -5
	ErrUnimplemented         Code = -6
	ErrOperationTimeout      Code = -7
	ErrBadArguments          Code = -8
	ErrUnknownSession        Code = -12
	ErrNewConfigNoQuorum     Code = -13
	ErrReconfigInProgress    Code = -14
	ErrAPIError              Code = -100
	ErrNoNode                Code = -101
	ErrNoAuth                Code = -102
	ErrBadVersion            Code = -103
	ErrNoChildrenForEphemera Code = -108
	ErrNodeExists            Code = -110
	ErrNotEmpty              Code = -111
	ErrSessionExpired        Code = -112
	ErrInvalidCallback       Code = -113
	ErrInvalidACL            Code = -114
	ErrAuthFailed            Code = -115
	ErrSessionMoved          Code = -118
	ErrNotReadOnly           Code = -119
	ErrEphemeralOnLocal      Code = -120
	ErrNoWatcher             Code = -121
	ErrRequestTimeout        Code = -122
	ErrReconfigDisabled      Code = -123
	ErrSessionClosedReqSASL  Code = -124
	ErrQuotaExceeded         Code = -125
	ErrThrottled             Code = -127
)

var codeText = map[Code]string{
	Ok: "ok", ErrSystemError: "system error", ErrRuntimeInconsistency: "runtime inconsistency",
	ErrDataInconsistency: "data inconsistency", ErrConnectionLoss: "connection loss",
	ErrMarshallingError: "marshalling error", ErrUnimplemented: "unimplemented",
	ErrOperationTimeout: "operation timeout", ErrBadArguments: "bad arguments",
	ErrUnknownSession: "unknown session", ErrNewConfigNoQuorum: "new config no quorum",
	ErrReconfigInProgress: "reconfig in progress", ErrAPIError: "api error",
	ErrNoNode: "node does not exist", ErrNoAuth: "not authenticated", ErrBadVersion: "bad version",
	ErrNoChildrenForEphemera: "ephemeral nodes may not have children", ErrNodeExists: "node exists",
	ErrNotEmpty: "node has children", ErrSessionExpired: "session expired",
	ErrInvalidCallback: "invalid callback", ErrInvalidACL: "invalid acl", ErrAuthFailed: "auth failed",
	ErrSessionMoved: "session moved", ErrNotReadOnly: "not a read-only call",
	ErrEphemeralOnLocal: "ephemeral on local session", ErrNoWatcher: "no watcher",
	ErrRequestTimeout: "request timeout", ErrReconfigDisabled: "reconfig disabled",
	ErrSessionClosedReqSASL: "session closed because client failed to authenticate",
	ErrQuotaExceeded:        "quota exceeded", ErrThrottled: "throttled",
}

func (c Code) Error() string {
	if s, ok := codeText[c]; ok {
		return s
	}
	return fmt.Sprintf("zookeeper error code %d", int32(c))
}

// EventType is WatcherEvent.Type.
type EventType int32

// Event types, as Watcher.Event.EventType numbers them.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

// KeeperState is WatcherEvent.State.
type KeeperState int32

// Keeper states, as Watcher.Event.KeeperState numbers them.
const (
	StateDisconnected      KeeperState = 0
	StateSyncConnected     KeeperState = 3
	StateAuthFailed        KeeperState = 4
	StateConnectedReadOnly KeeperState = 5
	StateSaslAuthenticated KeeperState = 6
	StateExpired           KeeperState = -112
	StateClosed            KeeperState = 7
)

// CreateMode is CreateRequest.Flags.
type CreateMode int32

// Create modes, as CreateMode numbers them.
const (
	ModePersistent                  CreateMode = 0
	ModeEphemeral                   CreateMode = 1
	ModePersistentSequential        CreateMode = 2
	ModeEphemeralSequential         CreateMode = 3
	ModeContainer                   CreateMode = 4
	ModePersistentWithTTL           CreateMode = 5
	ModePersistentSequentialWithTTL CreateMode = 6
)

// Valid reports whether m is a known create mode.
func (m CreateMode) Valid() bool { return m >= 0 && m <= 6 }

// Ephemeral reports whether nodes of mode m belong to a session.
func (m CreateMode) Ephemeral() bool { return m == ModeEphemeral || m == ModeEphemeralSequential }

// Sequential reports whether m appends a sequence suffix.
func (m CreateMode) Sequential() bool {
	return m == ModePersistentSequential || m == ModeEphemeralSequential || m == ModePersistentSequentialWithTTL
}

// TTL reports whether m is one of the TTL modes.
func (m CreateMode) TTL() bool {
	return m == ModePersistentWithTTL || m == ModePersistentSequentialWithTTL
}

// Permission bits of ACL.Perms, as ZooDefs.Perms defines them.
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)

// WatcherType is CheckWatchesRequest.Type and RemoveWatchesRequest.Type.
type WatcherType int32

// Watcher types, as Watcher.WatcherType numbers them.
const (
	WatcherChildren            WatcherType = 1
	WatcherData                WatcherType = 2
	WatcherAny                 WatcherType = 3
	WatcherPersistent          WatcherType = 4
	WatcherPersistentRecursive WatcherType = 5
)

// AddWatchMode is AddWatchRequest.Mode.
const (
	AddWatchPersistent          int32 = 0
	AddWatchPersistentRecursive int32 = 1
)

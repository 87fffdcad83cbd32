package zkproto

import "github.com/zabd/zabd/jute"

// NewRequest returns an empty request record for op, or nil when op carries
// no body (ping, closeSession, whoAmI) or is unknown. Multi bodies are not
// a single record but a MultiHeader-separated list (MultiOperationRecord in
// Java), so multi and multiRead return nil too.
func NewRequest(op OpCode) jute.Record {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}
	case OpCreateTTL:
		return &CreateTTLRequest{}
	case OpDelete, OpDeleteContainer, OpCheck:
		return &PathVersion{}
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2:
		return &PathWatch{}
	case OpSetData:
		return &SetDataRequest{}
	case OpGetACL, OpSync, OpGetAllChildrenNumber, OpGetEphemerals:
		return &PathOnly{}
	case OpSetACL:
		return &SetACLRequest{}
	case OpAddWatch, OpCheckWatches, OpRemoveWatches:
		return &PathInt{}
	case OpSetWatches:
		return &SetWatches{}
	case OpSetWatches2:
		return &SetWatches2{}
	case OpAuth:
		return &AuthPacket{}
	case OpReconfig:
		return &ReconfigRequest{}
	case OpSASL:
		return &Token{}
	}
	return nil
}

// NewTxn returns an empty txn record for a TxnHeader type, or nil when the
// type has no record. Multi txns decode as *MultiTxn.
func NewTxn(op OpCode) jute.Record {
	switch op {
	case OpCreate, OpCreate2:
		return &CreateTxn{}
	case OpCreateTTL:
		return &CreateTTLTxn{}
	case OpCreateContainer:
		return &CreateContainerTxn{}
	case OpDelete, OpDeleteContainer:
		return &DeleteTxn{}
	case OpSetData, OpReconfig:
		return &SetDataTxn{}
	case OpSetACL:
		return &SetACLTxn{}
	case OpCheck:
		return &CheckVersionTxn{}
	case OpMulti:
		return &MultiTxn{}
	case OpCreateSession:
		return &CreateSessionTxn{}
	case OpCloseSession:
		return &CloseSessionTxn{}
	case OpError:
		return &ErrorTxn{}
	}
	return nil
}

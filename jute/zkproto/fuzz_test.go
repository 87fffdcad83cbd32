package zkproto_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zabd/zabd/jute"
	zk "github.com/zabd/zabd/jute/zkproto"
)

var writeCorpus = flag.Bool("writecorpus", false, "rewrite testdata/fuzz/<FuzzName>/ seed files from the goldens")

// checkStable is the property every fuzz target checks: decoding data never
// panics, and when it succeeds, encode then decode gives an equal value and
// encoding that value gives the same bytes again. Bytes after the record are
// ignored on the first decode, as BinaryInputArchive does.
func checkStable(t *testing.T, data []byte, fresh func() jute.Record) (jute.Record, bool) {
	t.Helper()
	v1 := fresh()
	d := jute.NewDecoder(data, 0)
	v1.Decode(d)
	if d.Err() != nil {
		return nil, false
	}
	b1 := jute.Marshal(v1)
	v2 := fresh()
	if err := jute.Unmarshal(b1, v2); err != nil {
		t.Fatalf("Decode(Encode(%#v)) = %v; encoded %x from input %x", v1, err, b1, data)
	}
	if !reflect.DeepEqual(v1, v2) {
		t.Fatalf("Decode(%x) = %#v, want %#v (input %x)", b1, v2, v1, data)
	}
	if b2 := jute.Marshal(v2); !bytes.Equal(b1, b2) {
		t.Fatalf("Encode(%T) = %x, want %x (input %x)", v2, b2, b1, data)
	}
	return v1, true
}

// seed is one seed input, named after the golden it comes from.
type seed struct {
	name string
	data []byte
}

func goldensWithPrefix(tb testing.TB, prefix string) []seed {
	tb.Helper()
	var out []seed
	for _, name := range goldenNames(tb) {
		if strings.HasPrefix(name, prefix) {
			out = append(out, seed{name, readGolden(tb, name)})
		}
	}
	return out
}

func connectRequestSeeds(tb testing.TB) []seed {
	s := goldensWithPrefix(tb, "ConnectRequest")
	return append(s, seed{"Frame-ConnectRequest-body", readGolden(tb, "Frame-ConnectRequest")[jute.FrameHeaderSize:]})
}

// requestGoldens maps request goldens to the opcode whose body they are.
var requestGoldens = map[string]zk.OpCode{
	"CreateRequest": zk.OpCreate, "CreateRequest-nullDataNullACL": zk.OpCreate2,
	"CreateRequest-emptyDataEmptyACL": zk.OpCreateContainer, "CreateRequest-nonASCII": zk.OpCreate,
	"CreateTTLRequest": zk.OpCreateTTL, "DeleteRequest": zk.OpDelete, "ExistsRequest": zk.OpExists,
	"GetDataRequest": zk.OpGetData, "SetDataRequest": zk.OpSetData, "SetDataRequest-nullData": zk.OpSetData,
	"SetDataRequest-emptyData": zk.OpSetData, "GetACLRequest": zk.OpGetACL, "SetACLRequest": zk.OpSetACL,
	"GetChildrenRequest": zk.OpGetChildren, "SyncRequest": zk.OpSync, "GetChildren2Request": zk.OpGetChildren2,
	"CheckVersionRequest": zk.OpCheck, "MultiRequest": zk.OpMulti, "MultiRequest-read": zk.OpMultiRead,
	"ReconfigRequest": zk.OpReconfig, "ReconfigRequest-nulls": zk.OpReconfig,
	"CheckWatchesRequest": zk.OpCheckWatches, "RemoveWatchesRequest": zk.OpRemoveWatches,
	"AuthPacket": zk.OpAuth, "AuthPacket-emptyAuth": zk.OpAuth, "SetWatches": zk.OpSetWatches,
	"SetWatches-nullLists": zk.OpSetWatches, "GetSASLRequest": zk.OpSASL,
	"GetEphemeralsRequest": zk.OpGetEphemerals, "GetAllChildrenNumberRequest": zk.OpGetAllChildrenNumber,
	"SetWatches2": zk.OpSetWatches2, "AddWatchRequest": zk.OpAddWatch,
}

func opPrefixed(op zk.OpCode, body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(op)), body...)
}

func requestBodySeeds(tb testing.TB) []seed {
	var out []seed
	for _, name := range goldenNames(tb) { // sorted, so the order is stable
		if op, ok := requestGoldens[name]; ok {
			out = append(out, seed{name, opPrefixed(op, readGolden(tb, name))})
		}
	}
	return out
}

// txnGoldens maps txn goldens to a TxnHeader type that carries them.
var txnGoldens = map[string]zk.OpCode{
	"CreateTxn": zk.OpCreate, "CreateTxn-nullData": zk.OpCreate2, "CreateTTLTxn": zk.OpCreateTTL,
	"CreateContainerTxn": zk.OpCreateContainer, "DeleteTxn": zk.OpDelete, "SetDataTxn": zk.OpSetData,
	"CheckVersionTxn": zk.OpCheck, "SetACLTxn": zk.OpSetACL, "CreateSessionTxn": zk.OpCreateSession,
	"CloseSessionTxn": zk.OpCloseSession, "CloseSessionTxn-empty": zk.OpCloseSession,
	"ErrorTxn": zk.OpError, "MultiTxn": zk.OpMulti, "MultiTxn-error": zk.OpMulti,
}

func txnSeeds(tb testing.TB) []seed {
	out := goldensWithPrefix(tb, "TxnEntry")
	for _, name := range goldenNames(tb) {
		if op, ok := txnGoldens[name]; ok {
			hdr := gTxnHdr
			hdr.Type = op
			out = append(out, seed{name, append(jute.Marshal(&hdr), readGolden(tb, name)...)})
		}
	}
	return out
}

func multiTxnSeeds(tb testing.TB) []seed { return goldensWithPrefix(tb, "MultiTxn") }

func addSeeds(f *testing.F, seeds []seed) {
	f.Helper()
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add(s.data)
	}
}

// FuzzConnectRequest decodes the first frame of a connection.
func FuzzConnectRequest(f *testing.F) {
	addSeeds(f, connectRequestSeeds(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStable(t, data, func() jute.Record { return &zk.ConnectRequest{} })
	})
}

// FuzzRequestBody takes an opcode from the first 4 bytes and decodes the
// rest as that request's body (multi and multiRead as a MultiOperationRecord).
func FuzzRequestBody(f *testing.F) {
	addSeeds(f, requestBodySeeds(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		op := zk.OpCode(int32(binary.BigEndian.Uint32(data)))
		var fresh func() jute.Record
		switch {
		case op == zk.OpMulti || op == zk.OpMultiRead:
			fresh = func() jute.Record { return &multiRequest{} }
		case zk.NewRequest(op) != nil:
			fresh = func() jute.Record { return zk.NewRequest(op) }
		default:
			return
		}
		checkStable(t, data[4:], fresh)
	})
}

// FuzzTxn decodes a TxnHeader, then the record zk.NewTxn(hdr.Type) names,
// then an optional TxnDigest: a txn log entry or PROPOSAL payload.
func FuzzTxn(f *testing.F) {
	addSeeds(f, txnSeeds(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkStable(t, data, func() jute.Record { return &txnEntry{} })
	})
}

// FuzzMultiTxn decodes a MultiTxn and then each sub-txn by its type, as
// DataTree.processTxn does.
func FuzzMultiTxn(f *testing.F) {
	addSeeds(f, multiTxnSeeds(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, ok := checkStable(t, data, func() jute.Record { return &zk.MultiTxn{} })
		if !ok {
			return
		}
		for _, sub := range v.(*zk.MultiTxn).Txns {
			if zk.NewTxn(sub.Type) == nil {
				continue
			}
			checkStable(t, sub.Data, func() jute.Record { return zk.NewTxn(sub.Type) })
		}
	})
}

// TestWriteFuzzCorpus rewrites testdata/fuzz/<FuzzName>/ from the goldens
// when run with -writecorpus; go test runs those files as seeds.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -writecorpus to rewrite testdata/fuzz")
	}
	const perTarget = 6
	for name, seeds := range map[string][]seed{
		"FuzzConnectRequest": connectRequestSeeds(t),
		"FuzzRequestBody":    requestBodySeeds(t),
		"FuzzTxn":            txnSeeds(t),
		"FuzzMultiTxn":       multiTxnSeeds(t),
	} {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// A spread of the seeds, not just the first few by name.
		for i := range min(perTarget, len(seeds)) {
			s := seeds[i*len(seeds)/min(perTarget, len(seeds))]
			text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.data)
			if err := os.WriteFile(filepath.Join(dir, "golden-"+s.name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

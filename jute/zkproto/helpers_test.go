package zkproto_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// goldenDir holds the bytes written by testdata/gen/GoldenGen.java.
const goldenDir = "testdata/golden"

// parseGolden decodes a .hex golden: '#' lines are comments, the rest is hex.
func parseGolden(text []byte) ([]byte, error) {
	var sb strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sb.WriteString(line)
	}
	return hex.DecodeString(sb.String())
}

// readGolden returns the bytes of testdata/golden/<name>.hex.
func readGolden(tb testing.TB, name string) []byte {
	tb.Helper()
	text, err := os.ReadFile(filepath.Join(goldenDir, name+".hex"))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := parseGolden(text)
	if err != nil {
		tb.Fatalf("%s.hex: %v", name, err)
	}
	return b
}

// goldenNames lists the goldens, without the .hex suffix.
func goldenNames(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.hex"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatalf("no goldens in %s", goldenDir)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(filepath.Base(f), ".hex")
	}
	return names
}

// The types below are test-only codecs for bodies that are not one Jute
// record: the multi request and response (MultiOperationRecord and
// MultiResponse in Java), a txn as the log and PROPOSAL carry it
// (Util.marshallTxnEntry), and a length-prefixed packet.

// multiOp is one operation of a multi request.
type multiOp struct {
	Type zkproto.OpCode
	Rec  jute.Record
}

// multiRequest is the body of multi (14) and multiRead (22):
// (MultiHeader{type, false, -1} op)* MultiHeader{-1, true, -1}.
// Counterpart: MultiOperationRecord.serialize/deserialize.
type multiRequest struct {
	Ops []multiOp
}

func (m *multiRequest) Encode(e *jute.Encoder) {
	for _, op := range m.Ops {
		h := zkproto.MultiHeader{Type: op.Type, Err: -1}
		h.Encode(e)
		op.Rec.Encode(e)
	}
	end := zkproto.MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func (m *multiRequest) Decode(d *jute.Decoder) {
	m.Ops = nil
	for d.Err() == nil {
		var h zkproto.MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		var rec jute.Record
		switch h.Type {
		case zkproto.OpCreate, zkproto.OpCreate2, zkproto.OpCreateTTL, zkproto.OpCreateContainer,
			zkproto.OpDelete, zkproto.OpSetData, zkproto.OpCheck, zkproto.OpGetChildren, zkproto.OpGetData:
			rec = zkproto.NewRequest(h.Type)
		default:
			d.Fail(fmt.Errorf("multi: invalid op type %v", h.Type))
			return
		}
		rec.Decode(d)
		m.Ops = append(m.Ops, multiOp{Type: h.Type, Rec: rec})
	}
}

// multiResult is one result of a multi response; Rec is nil for delete
// and check.
type multiResult struct {
	Type zkproto.OpCode
	Err  zkproto.Code
	Rec  jute.Record
}

// multiResponse is the reply body of multi and multiRead.
// Counterpart: MultiResponse.serialize/deserialize.
type multiResponse struct {
	Results []multiResult
}

func (m *multiResponse) Encode(e *jute.Encoder) {
	for _, r := range m.Results {
		h := zkproto.MultiHeader{Type: r.Type, Err: r.Err}
		h.Encode(e)
		if r.Rec != nil {
			r.Rec.Encode(e)
		}
	}
	end := zkproto.MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func (m *multiResponse) Decode(d *jute.Decoder) {
	m.Results = nil
	for d.Err() == nil {
		var h zkproto.MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		var rec jute.Record
		switch h.Type {
		case zkproto.OpCreate:
			rec = &zkproto.CreateResponse{}
		case zkproto.OpCreate2, zkproto.OpCreateTTL, zkproto.OpCreateContainer:
			rec = &zkproto.Create2Response{}
		case zkproto.OpSetData:
			rec = &zkproto.SetDataResponse{}
		case zkproto.OpDelete, zkproto.OpCheck:
		case zkproto.OpGetChildren:
			rec = &zkproto.GetChildrenResponse{}
		case zkproto.OpGetData:
			rec = &zkproto.GetDataResponse{}
		case zkproto.OpError:
			rec = &zkproto.ErrorResponse{}
		default:
			d.Fail(fmt.Errorf("multi: invalid result type %v", h.Type))
			return
		}
		if rec != nil {
			rec.Decode(d)
		}
		m.Results = append(m.Results, multiResult{Type: h.Type, Err: h.Err, Rec: rec})
	}
}

// txnEntry is TxnHeader + txn record + optional TxnDigest, as
// Util.marshallTxnEntry writes it and SerializeUtils.deserializeTxn reads it.
type txnEntry struct {
	Hdr    zkproto.TxnHeader
	Txn    jute.Record // nil when the type has no record
	Digest *zkproto.TxnDigest
}

func (t *txnEntry) Encode(e *jute.Encoder) {
	t.Hdr.Encode(e)
	if t.Txn != nil {
		t.Txn.Encode(e)
	}
	if t.Digest != nil {
		t.Digest.Encode(e)
	}
}

func (t *txnEntry) Decode(d *jute.Decoder) {
	t.Hdr.Decode(d)
	if d.Err() != nil {
		return
	}
	t.Txn = zkproto.NewTxn(t.Hdr.Type)
	if t.Txn != nil {
		t.Txn.Decode(d)
	}
	t.Digest = nil
	if d.Err() == nil && d.Remaining() > 0 {
		t.Digest = &zkproto.TxnDigest{}
		t.Digest.Decode(d)
	}
}

// packet is one length-prefixed frame whose body is Parts in order, as
// ClientCnxn.Packet.createBB and ZooKeeperServer.finishSessionInit write it.
// Decode needs Parts preset to empty records of the expected types.
type packet struct {
	Parts []jute.Record
}

func (p *packet) Encode(e *jute.Encoder) {
	var off int
	e.Buf, off = jute.AppendFrame(e.Buf)
	for _, r := range p.Parts {
		r.Encode(e)
	}
	jute.FinishFrame(e.Buf, off)
}

func (p *packet) Decode(d *jute.Decoder) {
	n := d.Int32()
	if d.Err() == nil && int(n) != d.Remaining() {
		d.Fail(fmt.Errorf("packet: length %d, %d bytes follow", n, d.Remaining()))
	}
	for _, r := range p.Parts {
		r.Decode(d)
	}
}

// hexDiff points at the first differing byte, to make failures readable.
func hexDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	if bytes.Equal(got, want) {
		return "equal"
	}
	return fmt.Sprintf("first difference at byte %d (got len %d, want len %d)", i, len(got), len(want))
}

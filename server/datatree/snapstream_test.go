package datatree

import (
	"bufio"
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

func TestSyncSnapshotRoundTrip(t *testing.T) {
	tr := New()
	open := zkproto.OpenACLUnsafe
	digest := []zkproto.ACL{{Perms: zkproto.PermRead, ID: zkproto.Id{Scheme: "digest", ID: "u:x"}}}
	tr.Apply(&zkproto.TxnHeader{Zxid: 1, Time: 5, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/a", Data: []byte("v"), ACL: open, ParentCVersion: 1})
	tr.Apply(&zkproto.TxnHeader{Zxid: 2, Time: 6, ClientID: 9, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/a/e", ACL: digest, Ephemeral: true, ParentCVersion: 1})
	tr.Apply(&zkproto.TxnHeader{Zxid: 3, Time: 7, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/n", ACL: open, ParentCVersion: 2})
	sessions := map[int64]int32{9: 4000, 12: 6000}

	var file, stream bytes.Buffer
	if err := tr.WriteSnapshot(&file, sessions); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteSyncSnapshot(&stream, sessions); err != nil {
		t.Fatal(err)
	}
	// The stream is the file without FileHeader and seal, then the signature.
	sig := jute.Marshal(stringRecord(SyncSignature))
	f := file.Bytes()
	want := append(append([]byte(nil), f[fileHeaderLen:len(f)-fileSealLen]...), sig...)
	if !bytes.Equal(stream.Bytes(), want) {
		t.Fatalf("WriteSyncSnapshot = %x\nwant %x", stream.Bytes(), want)
	}

	// Bytes after the signature (the next packet) stay unread.
	next := []byte{0, 0, 0, 4}
	r := bufio.NewReader(bytes.NewReader(append(stream.Bytes(), next...)))
	snap, err := ReadSyncSnapshot(r, 0xfffff)
	if err != nil {
		t.Fatal(err)
	}
	rest := make([]byte, 8)
	if n, _ := r.Read(rest); !bytes.Equal(rest[:n], next) {
		t.Errorf("after the signature: %x, want %x", rest[:n], next)
	}
	if !reflect.DeepEqual(snap.Sessions, sessions) {
		t.Errorf("sessions = %v, want %v", snap.Sessions, sessions)
	}
	for _, p := range []string{"/", "/a", "/a/e", "/n", ZookeeperPath, QuotaPath, ConfigPath} {
		a, b := tr.Get(p), snap.Tree.Get(p)
		if b == nil || !bytes.Equal(a.Data, b.Data) || !reflect.DeepEqual(a.ACL, b.ACL) || a.Stat != b.Stat || !reflect.DeepEqual(Children(a), Children(b)) {
			t.Errorf("node %s = %+v, want %+v", p, b, a)
		}
	}
	if got := snap.Tree.Ephemerals(9); !reflect.DeepEqual(got, []string{"/a/e"}) {
		t.Errorf("ephemerals = %v", got)
	}
}

func TestSyncSnapshotBad(t *testing.T) {
	var stream bytes.Buffer
	if err := New().WriteSyncSnapshot(&stream, nil); err != nil {
		t.Fatal(err)
	}
	b := stream.Bytes()
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"truncated", b[:len(b)-3]},
		{"signature", append(append([]byte(nil), b[:len(b)-1]...), 'X')},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSyncSnapshot(bufio.NewReader(bytes.NewReader(tc.in)), 0xfffff)
			if !errors.Is(err, ErrSnapshotCorrupt) {
				t.Errorf("ReadSyncSnapshot = %v, want ErrSnapshotCorrupt", err)
			}
		})
	}
}

type stringRecord string

func (s stringRecord) Encode(e *jute.Encoder) { e.String(string(s)) }
func (s stringRecord) Decode(*jute.Decoder)   {}

// FuzzReadSyncSnapshot: ReadSyncSnapshot never panics, and a snapshot it
// accepts writes back to a stream that reads the same.
func FuzzReadSyncSnapshot(f *testing.F) {
	tr := New()
	tr.Apply(&zkproto.TxnHeader{Zxid: 1, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/a", Data: []byte("v"), ACL: zkproto.OpenACLUnsafe, ParentCVersion: 1})
	var b bytes.Buffer
	if err := tr.WriteSyncSnapshot(&b, map[int64]int32{7: 3000}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		snap, err := ReadSyncSnapshot(bufio.NewReader(bytes.NewReader(in)), 1<<16)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := snap.Tree.WriteSyncSnapshot(&out, snap.Sessions); err != nil {
			t.Fatal(err)
		}
		again, err := ReadSyncSnapshot(bufio.NewReader(bytes.NewReader(out.Bytes())), 1<<16)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if !reflect.DeepEqual(again.Sessions, snap.Sessions) || len(again.Tree.nodes) != len(snap.Tree.nodes) {
			t.Fatalf("re-read differs: %d nodes, want %d", len(again.Tree.nodes), len(snap.Tree.nodes))
		}
	})
}

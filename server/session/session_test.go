package session

import (
	"encoding/hex"
	"slices"
	"testing"
)

// Passwords captured from Apache ZooKeeper 3.8.0's ConnectResponse for the
// session ids it handed out (raw handshake over loopback).
func TestPasswordMatchesZooKeeper(t *testing.T) {
	cases := []struct {
		id   int64
		want string
	}{
		{0x1000005b1140001, "215caaf523367497919a4592d846e8fd"},
		{0x1000005b1140002, "e8f8bbf54353d6c8b2d10f105dacaa96"},
		{0x1000005b1140003, "fb19b6f5e39eb50da714773b3135bf63"},
	}
	for _, c := range cases {
		if got := hex.EncodeToString(Password(c.id)); got != c.want {
			t.Errorf("Password(%#x) = %s, want %s", c.id, got, c.want)
		}
	}
}

func TestInitialID(t *testing.T) {
	id := InitialID(3, 0x5b114)
	if got := id >> 56; got != 3 {
		t.Fatalf("server id byte = %d, want 3", got)
	}
	if got, want := id&0x00ffffffffffffff, int64(0x5b114)<<16; got != want {
		t.Fatalf("time bits = %#x, want %#x", got, want)
	}
}

func TestExpiryBuckets(t *testing.T) {
	tb := NewTable(100, 1)
	tb.Add(1, 400, 1000)  // deadline 1400 -> bucket 1500
	tb.Add(2, 1000, 1000) // deadline 2000 -> bucket 2100
	if got := tb.Expired(1499); len(got) != 0 {
		t.Fatalf("Expired(1499) = %v, want none", got)
	}
	if !tb.Touch(1, 1300) { // deadline 1700 -> bucket 1800
		t.Fatal("Touch(1) = false")
	}
	if got := tb.Expired(1500); len(got) != 0 {
		t.Fatalf("Expired(1500) after touch = %v", got)
	}
	if got := tb.Expired(1800); !slices.Equal(got, []int64{1}) {
		t.Fatalf("Expired(1800) = %v, want [1]", got)
	}
	if tb.Touch(1, 1900) {
		t.Fatal("Touch of an expiring session = true")
	}
	if got := tb.Expired(2100); !slices.Equal(got, []int64{2}) {
		t.Fatalf("Expired(2100) = %v, want [2]", got)
	}
	tb.Remove(1)
	tb.Remove(2)
	if tb.Len() != 0 {
		t.Fatalf("Len = %d", tb.Len())
	}
}

func TestCheckOwner(t *testing.T) {
	tb := NewTable(2000, 1)
	const id = 0x100
	if got := tb.CheckOwner(id, 7); got != CheckExpired {
		t.Fatalf("unknown session: %v, want CheckExpired", got)
	}
	tb.Add(id, 4000, 0)
	// The first request claims the session for its server.
	if got := tb.CheckOwner(id, 2); got != CheckOK {
		t.Fatalf("first check: %v", got)
	}
	if s, _ := tb.Get(id); s.Owner != 2 {
		t.Fatalf("owner %d, want 2", s.Owner)
	}
	if got := tb.CheckOwner(id, 3); got != CheckMoved {
		t.Fatalf("other server: %v, want CheckMoved", got)
	}
	// A revalidation through server 3 moves it there.
	if !tb.SetOwner(id, 3) {
		t.Fatal("SetOwner of a live session failed")
	}
	if got := tb.CheckOwner(id, 2); got != CheckMoved {
		t.Fatalf("old server after the move: %v, want CheckMoved", got)
	}
	if got := tb.CheckOwner(id, 3); got != CheckOK {
		t.Fatalf("new server: %v", got)
	}
	tb.ClearOwners()
	if got := tb.CheckOwner(id, 2); got != CheckOK {
		t.Fatalf("after ClearOwners: %v", got)
	}
	tb.SetClosing(id)
	if got := tb.CheckOwner(id, 2); got != CheckExpired {
		t.Fatalf("closing session: %v, want CheckExpired", got)
	}
	if tb.SetOwner(id, 3) {
		t.Fatal("SetOwner of a closing session succeeded")
	}
}

func TestTouchOwner(t *testing.T) {
	tb := NewTable(2000, 1)
	const id = 0x200
	if got := tb.TouchOwner(id, 5, 0); got != CheckExpired {
		t.Fatalf("unknown session: %v", got)
	}
	tb.Add(id, 4000, 0)
	if got := tb.TouchOwner(id, NoOwner, 10_000); got != CheckOK {
		t.Fatalf("without an owner check: %v", got)
	}
	if s, _ := tb.Get(id); s.Owner != NoOwner || s.expiry != 16_000 {
		t.Fatalf("after a plain touch: owner %d expiry %d, want none and 16000", s.Owner, s.expiry)
	}
	if got := tb.TouchOwner(id, 5, 12_000); got != CheckOK {
		t.Fatalf("claiming: %v", got)
	}
	if got := tb.TouchOwner(id, 6, 20_000); got != CheckMoved {
		t.Fatalf("another owner: %v, want CheckMoved", got)
	}
	if s, _ := tb.Get(id); s.Owner != 5 || s.expiry != 18_000 {
		t.Fatalf("a refused touch changed the session: owner %d expiry %d, want 5 and 18000", s.Owner, s.expiry)
	}
}

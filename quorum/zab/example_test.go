package zab

import (
	"fmt"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// Example wires a leader and two followers in memory and does what a
// runtime does with each Ready: persist the epochs, append the entries,
// send the messages, apply the commits. Here every append is synced at
// once; a real runtime syncs in batches and calls Persisted when done.
func Example() {
	voters := []int64{1, 2, 3}
	log := &memStorage{}
	leader := Lead(Config{ID: 1, Voters: voters, Storage: log})
	followers := map[int64]*Learner{
		2: Follow(Config{ID: 2, Voters: voters, LeaderID: 1}),
		3: Follow(Config{ID: 3, Voters: voters, LeaderID: 1}),
	}
	type packet struct {
		from, to int64
		p        zk.QuorumPacket
	}
	var wire []packet
	handle := func(id int64, rd Ready) (persisted int64) {
		// Epochs and entries would be written here, before the messages go.
		for _, m := range rd.Messages {
			wire = append(wire, packet{id, m.To, m.Packet})
		}
		for _, e := range rd.Committed {
			fmt.Printf("server %d applies %#x %s\n", id, e.Zxid, e.Data)
		}
		if rd.Phase == Broadcast {
			fmt.Printf("server %d is in broadcast\n", id)
		}
		if n := len(rd.Entries); n > 0 {
			return rd.Entries[n-1].Zxid
		}
		return 0
	}
	pump := func() {
		for {
			rd := leader.Ready()
			log.log = append(log.log, rd.Entries...) // Storage must hold what Persisted reports
			if z := handle(1, rd); z != 0 {
				leader.Persisted(z) // synced at once
			}
			for _, id := range []int64{2, 3} {
				if z := handle(id, followers[id].Ready()); z != 0 {
					followers[id].Persisted(z)
				}
			}
			if len(wire) == 0 && !leader.HasReady() && !followers[2].HasReady() && !followers[3].HasReady() {
				return
			}
			for _, w := range wire {
				if w.to == 1 {
					leader.Step(w.from, w.p)
				} else {
					followers[w.to].Step(w.p)
				}
			}
			wire = wire[:0]
		}
	}
	pump()
	zxid, _ := leader.Propose([]byte("create /a"))
	fmt.Printf("proposed %#x\n", zxid)
	pump()
	// Output:
	// server 1 is in broadcast
	// server 2 is in broadcast
	// server 3 is in broadcast
	// proposed 0x100000001
	// server 1 applies 0x100000001 create /a
	// server 2 applies 0x100000001 create /a
	// server 3 applies 0x100000001 create /a
}

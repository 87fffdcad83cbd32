package server

import (
	"github.com/zabd/zabd/server/admin"
)

// Ensemble returns what the AdminServer's quorum commands report for an
// ensemble member, from the configuration and the runtime's report; nil
// for a standalone server.
func (m monitor) Ensemble() *admin.Ensemble {
	s := m.s
	c := s.cfg
	if c.Standalone() {
		return nil
	}
	es, _ := s.ensembleStats()
	role := s.Role()
	host := c.ClientPortAddress
	if host == "" {
		host = "0.0.0.0"
	}
	e := &admin.Ensemble{
		Serving:  role != RoleLooking && role != RoleStandalone,
		MyID:     c.MyID,
		Leading:  role == RoleLeading,
		Voting:   c.PeerType != "observer",
		LeaderID: es.LeaderID,
		Client:   admin.Addr{Host: host, Port: c.ClientPort},
		LastZxid: s.lastApplied(),
		ZabState: es.ZabState,
	}
	for _, sv := range c.Servers {
		if sv.ID == es.LeaderID {
			e.LeaderHost = sv.Host
		}
		if sv.ID == c.MyID {
			e.Quorum = admin.Addr{Host: sv.Host, Port: sv.QuorumPort}
			e.Election = admin.Addr{Host: sv.Host, Port: sv.ElectionPort}
			e.Voting = e.Voting && !sv.Observer
		}
		if sv.Observer {
			continue
		}
		v := admin.Member{
			ID:       sv.ID,
			Quorum:   admin.Addr{Host: sv.Host, Port: sv.QuorumPort},
			Election: admin.Addr{Host: sv.Host, Port: sv.ElectionPort},
		}
		switch {
		case sv.ClientPort != 0:
			h := sv.ClientHost
			if h == "" {
				h = "0.0.0.0"
			}
			v.Client = &admin.Addr{Host: h, Port: sv.ClientPort}
		case sv.ID == c.MyID:
			// QuorumPeer fills in its own client address.
			v.Client = &e.Client
		}
		e.Voters = append(e.Voters, v)
	}
	if role == RoleLeading {
		for _, o := range es.Observers {
			e.SyncedObservers = append(e.SyncedObservers, admin.LearnerConn{
				Remote:          o.Remote,
				ID:              o.ID,
				Established:     o.Established.UnixMilli(),
				QueuedPackets:   o.QueuedPackets,
				QueuedBytes:     o.QueuedBytes,
				PacketsReceived: o.PacketsReceived,
				PacketsSent:     o.PacketsSent,
				Requests:        o.Requests,
				LastZxid:        o.LastZxid,
			})
		}
	}
	return e
}

// ResetObserverStats clears a leader's observer connection counters
// (Leader.resetObserverConnectionStats); a follower has no observers to
// reset, zabd having no observer master.
func (m monitor) ResetObserverStats() {
	if m.s.Role() != RoleLeading {
		return
	}
	if es, ok := m.s.ensembleStats(); ok && es.ResetObserverStats != nil {
		es.ResetObserverStats()
	}
}

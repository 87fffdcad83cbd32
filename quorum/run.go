package quorum

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zabd/zabd/quorum/election"
	"github.com/zabd/zabd/quorum/transport"
	"github.com/zabd/zabd/quorum/zab"
	"github.com/zabd/zabd/server"
	"github.com/zabd/zabd/server/config"
)

// ForceSnapSyncEnv, when "true", makes this server bring every learner up
// to date with SNAP, never DIFF, while it leads: ZooKeeper's
// zookeeper.forceSnapshotSync system property, for tests.
const ForceSnapSyncEnv = "ZABD_FORCE_SNAPSHOT_SYNC"

// Run serves an ensemble member of cfg until ctx is cancelled: it loads the
// data, starts the client port (clients are refused while no leader is
// established), the election port, and then elects, leads, follows or
// observes in turn. It returns when every goroutine it started has stopped.
//
// Counterpart: QuorumPeerMain.runFromConfig and QuorumPeer.run.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if cfg.Standalone() {
		return errors.New("quorum: the configuration is standalone")
	}
	if err := os.MkdirAll(cfg.DataLogDir, 0o755); err != nil {
		return fmt.Errorf("quorum: data log dir: %w", err)
	}
	p, err := newPeer(cfg, log)
	if err != nil {
		return err
	}
	d := p.d
	if a, err := p.srv.StartAdmin(); err != nil {
		log.Error("unable to start AdminServer; serving clients without it", "err", err)
	} else if a != nil {
		defer func() {
			if err := a.Close(); err != nil {
				log.Warn("stopping AdminServer", "err", err)
			}
		}()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan struct{})
	var serveErr error
	go func() {
		defer close(served)
		serveErr = p.srv.Serve(ctx)
	}()
	p.served = served

	p.syncReqs, p.syncDone = make(chan []zab.Entry, 1), make(chan syncResult, 1)
	p.snapDone = make(chan snapResult, 1)
	syncerDone := make(chan struct{})
	go func() {
		defer close(syncerDone)
		p.syncer(p.syncReqs, p.syncDone)
	}()
	err = p.loadTree()
	if err == nil {
		err = p.run(ctx) // flushes the log before it returns
	}
	close(p.syncReqs)
	<-syncerDone
	cancel()
	<-served
	if errors.Is(err, errServerStopped) {
		err = nil
	}
	if cerr := p.tr.Close(); cerr != nil {
		log.Warn("closing the election transport", "err", cerr)
	}
	return errors.Join(err, serveErr, d.close())
}

// newPeer checks cfg, opens the store and builds the server and the
// election.
func newPeer(cfg *config.Config, log *slog.Logger) (*peer, error) {
	servers := map[int64]config.Server{}
	var voters []int64
	for _, s := range cfg.Servers {
		servers[s.ID] = s
		if !s.Observer {
			voters = append(voters, s.ID)
		}
	}
	me, ok := servers[cfg.MyID]
	if !ok {
		return nil, fmt.Errorf("quorum: myid %d is not among the server.N lines of %s", cfg.MyID, cfg.Path)
	}
	if len(voters) == 0 {
		return nil, errors.New("quorum: no participants among the server.N lines")
	}
	slices.Sort(voters)
	observer := me.Observer || cfg.PeerType == "observer"

	trLog := log
	log = log.With("myid", cfg.MyID)
	d, err := openDurable(cfg, log)
	if err != nil {
		return nil, err
	}
	d.forceSnap = os.Getenv(ForceSnapSyncEnv) == "true"
	srv, err := server.New(cfg, log, logView{})
	if err != nil {
		return nil, errors.Join(err, d.close())
	}

	host := me.Host
	if cfg.QuorumListenOnAllIPs {
		host = ""
	}
	elAddr := net.JoinHostPort(host, strconv.Itoa(me.ElectionPort))
	ln, err := listen(elAddr)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("quorum: election port: %w", err), d.close())
	}
	peers := map[int64][]string{}
	for id, s := range servers {
		if id != cfg.MyID {
			peers[id] = []string{net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort))}
		}
	}
	ticks := func(n int) int { return 2 * max(n, 1) }
	configData := []byte(configText(cfg.Servers))
	p := &peer{
		cfg:        cfg,
		log:        log,
		srv:        srv,
		d:          d,
		voters:     voters,
		servers:    servers,
		observer:   observer,
		configData: configData,
		zabTick:    max(cfg.TickTime/2, 1),
		initLimit:  ticks(cfg.InitLimit),
		syncLimit:  ticks(cfg.SyncLimit),
		maxPacket:  4 * max(cfg.JuteMaxBuffer, 1<<20),
		in:         newInbox(),
		events:     make(chan event, 256),
		rng:        rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	p.snapThreshold = cfg.SnapCount/2 + p.rng.IntN(max(cfg.SnapCount/2, 1))
	p.tr = transport.New(transport.Config{
		ID:               cfg.MyID,
		Addrs:            []string{net.JoinHostPort(me.Host, strconv.Itoa(me.ElectionPort))},
		Peers:            peers,
		Listener:         ln,
		ConnectTimeout:   cfg.CnxTimeout,
		HandshakeTimeout: cfg.TickTime * time.Duration(max(cfg.InitLimit, 1)),
		Logger:           trLog, // it adds myid itself
	})
	p.el = election.New(election.Config{
		ID:         cfg.MyID,
		Verifier:   election.NewMajority(voters...),
		Observer:   observer,
		ConfigData: configData,
	})
	log.Info("ensemble member", "voters", voters, "observer", observer, "electionAddr", ln.Addr().String(),
		"tickTime", cfg.TickTime, "initLimit", cfg.InitLimit, "syncLimit", cfg.SyncLimit)
	return p, nil
}

// configText is the membership as QuorumMaj.toString writes it, which
// notifications and NEWLEADER carry: "server.N=host:quorum:election:type"
// lines, then "version=0" (no dynamic reconfiguration).
func configText(servers []config.Server) string {
	var b strings.Builder
	for _, s := range servers {
		typ := "participant"
		if s.Observer {
			typ = "observer"
		}
		fmt.Fprintf(&b, "server.%d=%s:%d:%d:%s", s.ID, s.Host, s.QuorumPort, s.ElectionPort, typ)
		if s.ClientPort != 0 {
			host := s.ClientHost
			if host == "" {
				host = "0.0.0.0"
			}
			fmt.Fprintf(&b, ";%s:%d", host, s.ClientPort)
		}
		b.WriteByte('\n')
	}
	b.WriteString("version=0")
	return b.String()
}

package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
	"github.com/zabd/zabd/server/config"
)

// Run serves cfg until ctx is cancelled. It returns when every goroutine it
// started has stopped.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if !cfg.Standalone() {
		return fmt.Errorf("server: ensemble mode (server.N lines) is not implemented yet")
	}
	if err := os.MkdirAll(cfg.DataLogDir, 0o755); err != nil {
		return fmt.Errorf("server: data log dir: %w", err)
	}
	if !cfg.ForceSync {
		log.Warn("forceSync=no: acknowledged writes can be lost on power failure")
	}
	store, snaps, err := OpenData(cfg, log)
	if err != nil {
		return err
	}
	s, err := New(cfg, log, &storeLog{store: store, log: store.Log(), snaps: snaps})
	if err != nil {
		_ = store.Close()
		return err
	}
	if a, err := s.StartAdmin(); err != nil {
		log.Error("unable to start AdminServer; serving clients without it", "err", err)
	} else if a != nil {
		defer func() {
			if err := a.Close(); err != nil {
				log.Warn("stopping AdminServer", "err", err)
			}
		}()
	}
	return s.Serve(ctx)
}

// storeLog adapts the badger store to TxnLog. Its snapshot and recovery
// methods are in recovery.go.
type storeLog struct {
	store *persistence.Store
	log   *txnlog.Log
	buf   []txnlog.Entry
	// mu lets one writer at a time use the log, as txnlog requires: the sync
	// stage (Append) or the snapshot goroutine (PurgeBefore).
	mu sync.Mutex

	snaps     *snapshot.Dir // dataDir/zabd-snap, opened by OpenData
	recovered *state        // what start-up recovered
	sn        *snapshotter  // set by startSnapshots
}

func (l *storeLog) Append(batch []LogEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = l.buf[:0]
	for _, e := range batch {
		l.buf = append(l.buf, txnlog.Entry{Zxid: e.Zxid, Data: e.Data})
	}
	return l.log.Append(l.buf)
}

func (l *storeLog) Iterate(after int64, fn func(zxid int64, data []byte) error) error {
	return l.log.Iterate(after, fn)
}

func (l *storeLog) LastZxid() int64 { return l.log.LastZxid() }

func (l *storeLog) Close() error { return l.store.Close() }

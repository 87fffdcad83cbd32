package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/zabd/zabd/quorum"
	"github.com/zabd/zabd/server"
)

// startForeground runs the server until SIGINT or SIGTERM, like
// zkServer.sh start-foreground. A second signal kills the process at once.
func startForeground(c *cli.Context) error {
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	path, cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	mode := "standalone"
	if !cfg.Standalone() {
		mode = "ensemble"
	}
	log.Info("starting zabd", "version", version, "config", path, "mode", mode,
		"clientPort", cfg.ClientPort, "dataDir", cfg.DataDir, "pid", os.Getpid())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case s := <-sigs:
			signal.Stop(sigs) // the next signal gets the default action
			log.Info("shutting down", "signal", s.String())
			cancel()
		case <-ctx.Done():
		}
	}()
	if cfg.Standalone() {
		err = server.Run(ctx, cfg, log)
	} else {
		err = quorum.Run(ctx, cfg, log)
	}
	cancel()
	<-watcherDone
	if err != nil {
		log.Error("server stopped", "err", err)
		return &exitError{code: 1}
	}
	log.Info("server stopped")
	return nil
}

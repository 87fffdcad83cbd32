package server

import (
	"context"
	"errors"
	"log/slog"

	"github.com/zabd/zabd/server/config"
)

// Run serves cfg until ctx is cancelled. It returns when every goroutine it
// started has stopped.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	return errors.New("server: not implemented yet")
}

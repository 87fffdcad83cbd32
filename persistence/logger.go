package persistence

import (
	"fmt"
	"log/slog"
	"strings"
)

// badgerLogger routes badger's log into slog at warning level and above;
// badger's info and debug chatter is dropped.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(format string, args ...any) {
	b.l.Error(badgerMsg(format, args), "component", "badger")
}

func (b badgerLogger) Warningf(format string, args ...any) {
	b.l.Warn(badgerMsg(format, args), "component", "badger")
}

func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

func badgerMsg(format string, args []any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...))
}

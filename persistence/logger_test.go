package persistence

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestBadgerLogger(t *testing.T) {
	var buf bytes.Buffer
	l := badgerLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Debugf("debug %d\n", 1)
	l.Infof("info %d\n", 2)
	l.Warningf("warn %d\n", 3)
	l.Errorf("error %d\n", 4)
	got := buf.String()
	for _, want := range []string{`level=WARN msg="warn 3" component=badger`, `level=ERROR msg="error 4" component=badger`} {
		if !strings.Contains(got, want) {
			t.Errorf("log = %q, want it to contain %q", got, want)
		}
	}
	for _, unwanted := range []string{"debug 1", "info 2"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("log = %q, want no %q", got, unwanted)
		}
	}
}

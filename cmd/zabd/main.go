// Command zabd is the zabd ZooKeeper server. Its verbs mirror zkServer.sh:
//
//	zabd [--config DIR] start-foreground [CONFIG]   run in the foreground until SIGINT or SIGTERM
//	zabd [--config DIR] start [CONFIG]              run in the background; pid in dataDir/zookeeper_server.pid
//	zabd [--config DIR] stop [CONFIG]               SIGTERM the background server and wait for it
//	zabd [--config DIR] restart [CONFIG]            stop, then start
//	zabd [--config DIR] status [CONFIG]             ask the server its mode with the srvr four-letter word
//	zabd version
//
// CONFIG is a zoo.cfg. As in zkServer.sh, a bare file name is looked up in
// the --config directory (environment ZOOCFGDIR), and without CONFIG the file
// is DIR/zoo.cfg, or $ZOOCFG. Without any of these, zabd uses its built-in
// default: clientPort 2181, dataDir ./data, tickTime 2000 (what `make run`
// runs). ZOOPIDFILE overrides the pid file and ZOO_LOG_DIR the directory of
// zabd.out, the background server's output, as they do for zkServer.sh.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zabd/zabd/server/config"
)

// version is set at link time: -ldflags "-X main.version=v0.1.0".
var version = "dev"

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// exitError ends the command with code after printing msg ("" prints
// nothing: the command has already said why).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// failf is the exitError of a command that failed for a reason it states.
func failf(format string, args ...any) error {
	return &exitError{code: 1, msg: fmt.Sprintf(format, args...)}
}

// run runs the command line args and returns the process's exit code.
func run(args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).Run(args)
	if err == nil {
		return 0
	}
	var e *exitError
	if !errors.As(err, &e) {
		e = &exitError{code: 1, msg: err.Error()}
	}
	if e.msg != "" {
		fmt.Fprintf(stderr, "zabd: %s\n", e.msg)
	}
	return e.code
}

func newApp(stdout, stderr io.Writer) *cli.App {
	configArg := "[CONFIG]"
	return &cli.App{
		Name:            "zabd",
		Usage:           "a ZooKeeper server",
		UsageText:       "zabd [--config DIR] {start|start-foreground|stop|restart|status|version} [CONFIG]",
		HideVersion:     true,
		HideHelpCommand: true,
		Writer:          stdout,
		ErrWriter:       stderr,
		// run prints errors and picks the exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:    "config",
				Usage:   "configuration directory holding zoo.cfg, as zkServer.sh --config",
				EnvVars: []string{"ZOOCFGDIR"},
			},
			&cli.StringFlag{
				Name:    "log-level",
				Usage:   "debug, info, warn or error",
				Value:   "info",
				EnvVars: []string{"ZABD_LOG_LEVEL"},
			},
		},
		Commands: append([]*cli.Command{
			{
				Name:      "start-foreground",
				Usage:     "run the server in the foreground until SIGINT or SIGTERM",
				ArgsUsage: configArg,
				Action:    startForeground,
			},
			{
				Name:      "start",
				Usage:     "start the server in the background",
				ArgsUsage: configArg,
				Action:    start,
			},
			{
				Name:      "stop",
				Usage:     "stop the background server",
				ArgsUsage: configArg,
				Action:    stop,
			},
			{
				Name:      "restart",
				Usage:     "stop, then start the background server",
				ArgsUsage: configArg,
				Action:    restart,
			},
			{
				Name:      "status",
				Usage:     "ask the server for its mode (srvr)",
				ArgsUsage: configArg,
				Action:    status,
			},
			{
				Name:   "version",
				Usage:  "print the version",
				Action: printVersion,
			},
		}, toolCommands()...), // snapshot-inspect, log-inspect, purge, snapshot-export: tools.go
	}
}

// configPath returns the zoo.cfg a command names, resolved as zkServer.sh
// and zkEnv.sh resolve it, or "" for the built-in default.
func configPath(c *cli.Context) (string, error) {
	if c.NArg() > 1 {
		return "", failf("%s takes at most one argument, CONFIG; got %q", c.Command.Name, c.Args().Slice())
	}
	dir := c.String("config")
	name := c.Args().First()
	if name == "" {
		name = os.Getenv("ZOOCFG")
	}
	switch {
	case name == "" && dir == "":
		return "", nil
	case name == "":
		return filepath.Join(dir, "zoo.cfg"), nil
	case dir != "" && !strings.ContainsRune(name, filepath.Separator):
		return filepath.Join(dir, name), nil
	}
	return name, nil
}

// loadConfig prints "Using config: PATH" to stderr, as zkServer.sh does
// for every verb, and loads it.
func loadConfig(c *cli.Context) (string, *config.Config, error) {
	path, err := configPath(c)
	if err != nil {
		return "", nil, err
	}
	if path == "" {
		fmt.Fprintln(c.App.ErrWriter, "Using config: built-in default")
		return "", config.Default(), nil
	}
	fmt.Fprintf(c.App.ErrWriter, "Using config: %s\n", path)
	cfg, err := config.Load(path)
	if err != nil {
		return "", nil, failf("%v", err)
	}
	return path, cfg, nil
}

// newLogger is a text logger on stderr at the --log-level.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, failf("--log-level: %v", err)
	}
	return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level})), nil
}

func printVersion(c *cli.Context) error {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(c.App.Writer, "zabd version %s (%s %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

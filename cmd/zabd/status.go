package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// fourLetterTimeout bounds a four-letter word exchange, as
// FourLetterWordMain's default of 5000 ms does.
const fourLetterTimeout = 5 * time.Second

// status asks the server for its mode with srvr and prints what
// zkServer.sh status prints:
//
//	Client port found: 2181. Client address: localhost. Client SSL: false.
//	Mode: standalone
//
// or "Error contacting service. It is probably not running." and exits 1.
func status(c *cli.Context) error {
	_, cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	out := c.App.Writer
	if cfg.ClientPort == 0 {
		fmt.Fprintln(out, "Unable to find either secure or unsecure client port in any configs. Terminating.")
		return &exitError{code: 1}
	}
	host, shown := cfg.ClientPortAddress, cfg.ClientPortAddress
	if host == "" {
		host, shown = "127.0.0.1", "localhost"
	}
	fmt.Fprintf(out, "Client port found: %d. Client address: %s. Client SSL: false.\n", cfg.ClientPort, shown)
	ctx, cancel := context.WithTimeout(c.Context, fourLetterTimeout)
	defer cancel()
	reply, err := fourLetterWord(ctx, net.JoinHostPort(host, strconv.Itoa(cfg.ClientPort)), "srvr")
	if mode := modeLine(reply); err == nil && mode != "" {
		fmt.Fprintln(out, mode)
		return nil
	}
	fmt.Fprintln(out, "Error contacting service. It is probably not running.")
	return &exitError{code: 1}
}

// fourLetterWord sends cmd to addr and returns the reply, read until the
// server closes the connection (FourLetterWordMain.send4LetterWord).
func fourLetterWord(ctx context.Context, addr, cmd string) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return nil, err
		}
	}
	if _, err := io.WriteString(conn, cmd); err != nil {
		return nil, err
	}
	return io.ReadAll(conn)
}

// modeLine is `grep Mode | echo $STAT` of zkServer.sh: the lines of reply
// containing "Mode", with runs of blanks (newlines included) squeezed.
func modeLine(reply []byte) string {
	var fields []string
	sc := bufio.NewScanner(bytes.NewReader(reply))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Mode") {
			fields = append(fields, strings.Fields(sc.Text())...)
		}
	}
	return strings.Join(fields, " ")
}

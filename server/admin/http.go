package admin

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CommandURL is the URL prefix of the commands (admin.commandURL's default).
const CommandURL = "/commands"

// idleTimeout closes idle HTTP connections, as JettyAdminServer's
// admin.idleTimeout default (30 s) does.
const idleTimeout = 30 * time.Second

// HTTP is a running AdminServer. Close stops it.
type HTTP struct {
	srv  *http.Server
	ln   net.Listener
	log  *slog.Logger
	wg   sync.WaitGroup
	once sync.Once
}

// Start listens on addr (host:port) and serves the commands of src over
// HTTP in its own goroutine until Close, as JettyAdminServer does:
//
//	GET /commands          links to every command, one per line
//	GET /commands/<name>   the command's JSON (200 even for an unknown name)
//
// Any other path is 404; any method but GET is 405.
func Start(addr string, src Source, log *slog.Logger) (*HTTP, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listen %s: %w", addr, err)
	}
	h := &HTTP{ln: ln, log: log}
	h.srv = &http.Server{
		Handler:           Handler(src),
		ReadHeaderTimeout: idleTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := h.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin server stopped", "err", err)
		}
	}()
	log.Info("started AdminServer", "address", ln.Addr().String(), "commandURL", CommandURL)
	return h, nil
}

// Addr returns the address the server listens on.
func (h *HTTP) Addr() net.Addr { return h.ln.Addr() }

// Close stops the server and waits for its goroutine; requests under way
// get a few seconds to finish.
func (h *HTTP) Close() error {
	var err error
	h.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err = h.srv.Shutdown(ctx)
		if err != nil {
			err = h.srv.Close()
		}
		h.wg.Wait()
	})
	return err
}

// Handler returns the AdminServer's HTTP handler over src.
func Handler(src Source) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, CommandURL)
		if !ok || (rest != "" && rest[0] != '/') {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "HTTP method "+r.Method+" is not supported by this URL", http.StatusMethodNotAllowed)
			return
		}
		if rest == "" || rest == "/" {
			var b strings.Builder
			for _, n := range PrimaryNames() {
				fmt.Fprintf(&b, "<a href=\"%s/%s\">%s</a>\n<br/>\n", CommandURL, n, n)
			}
			// Jetty sends the links with no Content-Type; so do we.
			w.Header()["Content-Type"] = nil
			_, _ = w.Write([]byte(b.String()))
			return
		}
		if crashes(src, rest[1:]) {
			jettyError(w, r, http.StatusInternalServerError, notServing)
			return
		}
		args := map[string]string{}
		for k, v := range r.URL.Query() {
			if len(v) > 0 {
				args[k] = v[0]
			}
		}
		body := marshalPretty(Run(src, rest[1:], args))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}

// jettyError answers as Jetty's ErrorHandler does when a servlet throws:
// the status, no caching, the connection closed, and an HTML page naming
// the status and the message.
//
// NB: ZooKeeper's page carries the Java exception and its stack trace;
// clients see the status and the content type, which are the same.
func jettyError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h := w.Header()
	h.Set("Cache-Control", "must-revalidate,no-cache,no-store")
	h.Set("Content-Type", "text/html;charset=iso-8859-1")
	h.Set("Connection", "close")
	w.WriteHeader(status)
	m := html.EscapeString(msg)
	fmt.Fprintf(w, "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n"+
		"<title>Error %[1]d %[2]s</title>\n</head>\n<body><h2>HTTP ERROR %[1]d %[2]s</h2>\n<table>\n"+
		"<tr><th>URI:</th><td>%[3]s</td></tr>\n<tr><th>STATUS:</th><td>%[1]d</td></tr>\n"+
		"<tr><th>MESSAGE:</th><td>%[2]s</td></tr>\n</table>\n\n</body>\n</html>\n",
		status, m, html.EscapeString(r.URL.Path))
}

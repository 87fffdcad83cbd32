// Package admin renders zabd's monitoring commands: the four-letter words of
// the client port (ruok, srvr, stat, mntr, conf, cons, crst, dump, envi,
// srst, wchs, wchc, wchp, dirs, isro, gtmk, stmk) as text laid out byte for
// byte as ZooKeeper 3.8 lays it out, and the AdminServer's commands as JSON
// over HTTP (/commands, /commands/<name>), with ZooKeeper 3.8's command
// names, aliases and field names, pretty-printed as Jackson prints them.
// An ensemble member answers the quorum commands (leader, zabstate,
// voting_view, observers, orst) from Source.Ensemble, and while it has no
// leader refuses most commands as ZooKeeper does.
//
// The package reads the server only through Source, which the server
// implements; it never touches the data tree or connections itself. The
// renderers are pure functions of what Source returns. An HTTP returned by
// Start owns one goroutine (net/http's accept loop and its per-request
// goroutines), which Close stops and waits for.
//
// Counterpart: org.apache.zookeeper.server.command (FourLetterCommands and
// its commands), org.apache.zookeeper.server.admin (Commands,
// JettyAdminServer, JsonOutputter).
package admin

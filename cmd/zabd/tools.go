package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/zkfiles"
	"github.com/zabd/zabd/server"
	"github.com/zabd/zabd/server/config"
	"github.com/zabd/zabd/server/datatree"
)

// toolCommands returns the operator verbs for data on disk:
//
//	zabd snapshot-inspect [-d] FILE       a snapshot's znodes, sessions and counts (SnapshotFormatter)
//	zabd log-inspect DIR|FILE             one line per txn (TxnLogToolkit)
//	zabd purge [-n N] [CONFIG]            keep the N newest snapshots (zkCleanup.sh, PurgeTxnLog)
//	zabd snapshot-export [CONFIG] DIR     write DIR/version-2/snapshot.<zxid> for Apache ZooKeeper
//
// snapshot-inspect and log-inspect read zabd's files and Apache ZooKeeper's
// alike. purge and snapshot-export open the server's store, so the server
// must be stopped (autopurge.purgeInterval purges a running one).
func toolCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:      "snapshot-inspect",
			Usage:     "print a snapshot's znodes with their stats, its sessions and counts (like ZooKeeper's SnapshotFormatter)",
			ArgsUsage: "FILE",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "d", Usage: "print each znode's data (base64) instead of its length"},
			},
			Action: snapshotInspect,
		},
		{
			Name:      "log-inspect",
			Usage:     "print a txn log, one line per txn (like ZooKeeper's TxnLogToolkit)",
			ArgsUsage: "DIR|FILE",
			Description: "DIR is a dataLogDir holding zabd's store (DIR/zabd), or a directory of ZooKeeper log.<zxid>\n" +
				"files (or its parent holding version-2); FILE is one ZooKeeper log file.",
			Action: logInspect,
		},
		{
			Name:      "purge",
			Usage:     "keep the newest snapshots of a stopped server and drop older ones and the txn log before them (like zkCleanup.sh)",
			ArgsUsage: "[CONFIG]",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "n", Aliases: []string{"count"}, Usage: "snapshots to keep, at least 3 (default autopurge.snapRetainCount)"},
			},
			Action: purgeCmd,
		},
		{
			Name:      "snapshot-export",
			Usage:     "write the data of a stopped server as DIR/version-2/snapshot.<zxid>, which Apache ZooKeeper loads as its dataDir",
			ArgsUsage: "[CONFIG] DIR",
			Action:    snapshotExport,
		},
	}
}

// snapshotInspect prints a zabd or ZooKeeper snapshot file as
// SnapshotFormatter.printDetails does, children in name order, then a
// summary.
func snapshotInspect(c *cli.Context) error {
	if c.NArg() != 1 {
		return failf("snapshot-inspect takes one argument, FILE")
	}
	path := c.Args().First()
	snap, lastZxid, meta, err := readAnySnapshot(path)
	if err != nil {
		return failf("%v", err)
	}
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	printSnapshot(w, snap, lastZxid, c.Bool("d"))
	if meta != nil {
		fmt.Fprintf(w, "zabd snapshot: zxid %#x, taken %s, %d payload bytes, CRC-32C %#08x (checksum holds)\n",
			meta.Zxid, meta.Time.In(toolZone).Format(time.RFC3339), meta.Size, meta.Checksum)
	}
	return nil
}

// readAnySnapshot reads a zabd snapshot file (checking its checksum) or an
// Apache ZooKeeper one (snapshot.<zxid>[.gz]). lastZxid is the zxid the file
// names or carries.
func readAnySnapshot(path string) (*datatree.Snapshot, int64, *snapshot.Meta, error) {
	const maxBuffer = 64 << 20 // a tool reads what any server wrote
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	var magic [8]byte
	n, _ := io.ReadFull(f, magic[:])
	f.Close()
	if string(magic[:n]) == "ZABDSNAP" {
		r, err := snapshot.OpenFile(path)
		if err != nil {
			return nil, 0, nil, err
		}
		defer r.Close()
		snap, err := datatree.ReadSnapshot(r, maxBuffer)
		if err == nil {
			err = r.Verify()
		}
		if err != nil {
			return nil, 0, nil, fmt.Errorf("%s: %w", path, err)
		}
		m := r.Meta()
		return snap, m.Zxid, &m, nil
	}
	rc, err := zkfiles.OpenSnapshot(path)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rc.Close()
	snap, err := datatree.ReadSnapshot(rc, maxBuffer)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	zxid, _ := zkfiles.ZxidFromName(filepath.Base(path), zkfiles.SnapshotPrefix)
	return snap, max(zxid, snap.Zxid), nil, nil
}

// printSnapshot prints like SnapshotFormatter.printDetails (3.8).
func printSnapshot(w io.Writer, snap *datatree.Snapshot, fileZxid int64, dumpData bool) {
	t := snap.Tree
	t.RLock()
	defer t.RUnlock()
	fmt.Fprintf(w, "ZNode Details (count=%d):\n", t.NodeCount())
	var nodes, ephemerals, containers, ttls, dataBytes int
	maxZxid := int64(0)
	var walk func(p string)
	walk = func(p string) {
		n := t.Get(p)
		if n == nil {
			return
		}
		st := n.Stat
		fmt.Fprintf(w, "----\n%s\n", p)
		fmt.Fprintf(w, "  cZxid = %s\n  ctime = %s\n", javaHex(st.Czxid), javaDate(st.Ctime))
		fmt.Fprintf(w, "  mZxid = %s\n  mtime = %s\n", javaHex(st.Mzxid), javaDate(st.Mtime))
		fmt.Fprintf(w, "  pZxid = %s\n  cversion = %d\n  dataVersion = %d\n  aclVersion = %d\n  ephemeralOwner = %s\n",
			javaHex(st.Pzxid), st.Cversion, st.Version, st.Aversion, javaHex(st.EphemeralOwner))
		if dumpData {
			fmt.Fprintf(w, "  data = %s\n", base64.StdEncoding.EncodeToString(n.Data))
		} else {
			fmt.Fprintf(w, "  dataLength = %d\n", len(n.Data))
		}
		nodes++
		dataBytes += len(n.Data)
		switch datatree.KindOf(st.EphemeralOwner) {
		case datatree.OwnerSession:
			ephemerals++
		case datatree.OwnerContainer:
			containers++
		case datatree.OwnerTTL:
			ttls++
		}
		maxZxid = max(maxZxid, st.Mzxid, st.Pzxid)
		for _, c := range datatree.Children(n) {
			walk(datatree.Join(p, c))
		}
	}
	walk("/")
	fmt.Fprintf(w, "----\nSession Details (sid, timeout, ephemeralCount):\n")
	ids := make([]int64, 0, len(snap.Sessions))
	for id := range snap.Sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintf(w, "%s, %d, %d\n", javaHex(id), snap.Sessions[id], len(t.Ephemerals(id)))
	}
	fmt.Fprintf(w, "----\nLast zxid: 0x%x\n", uint64(max(fileZxid, maxZxid)))
	fmt.Fprintf(w, "----\nSummary: %d znodes (%d ephemeral, %d containers, %d TTL), %d data bytes, %d sessions\n",
		nodes, ephemerals, containers, ttls, dataBytes, len(snap.Sessions))
}

// toolZone is the time zone the tools print times in (the JVM default zone
// in ZooKeeper's tools); tests set UTC.
var toolZone = time.Local

// javaHex formats as Java's String.format("%#016x", v): "0x" and at least
// 14 digits.
func javaHex(v int64) string { return fmt.Sprintf("0x%014x", uint64(v)) }

// javaDate formats ms as java.util.Date.toString does.
func javaDate(ms int64) string {
	return time.UnixMilli(ms).In(toolZone).Format("Mon Jan 02 15:04:05 MST 2006")
}

// logInspect prints every txn of a zabd store or of ZooKeeper log files.
func logInspect(c *cli.Context) error {
	if c.NArg() != 1 {
		return failf("log-inspect takes one argument, DIR or FILE")
	}
	arg := c.Args().First()
	st, err := os.Stat(arg)
	if err != nil {
		return failf("%v", err)
	}
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	if !st.IsDir() {
		return dumpZooKeeperLog(w, arg)
	}
	storeDir := ""
	switch {
	case isDir(filepath.Join(arg, persistence.SubDir)):
		storeDir = arg
	case filepath.Base(filepath.Clean(arg)) == persistence.SubDir && exists(filepath.Join(arg, "MANIFEST")):
		storeDir = filepath.Dir(filepath.Clean(arg))
	}
	if storeDir != "" {
		return dumpStoreLog(w, storeDir)
	}
	logs, err := zkfiles.Logs(arg)
	if err == nil && len(logs) == 0 {
		logs, err = zkfiles.Logs(filepath.Join(arg, zkfiles.VersionDir))
	}
	if err != nil {
		return failf("%v", err)
	}
	if len(logs) == 0 {
		return failf("%s holds neither zabd's store (%s/) nor ZooKeeper log.<zxid> files", arg, persistence.SubDir)
	}
	for _, f := range logs {
		if err := dumpZooKeeperLog(w, f.Path); err != nil {
			return err
		}
	}
	return nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// dumpZooKeeperLog prints one ZooKeeper log file as TxnLogToolkit.dump does.
func dumpZooKeeperLog(w *bufio.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return failf("%v", err)
	}
	defer f.Close()
	lr, err := zkfiles.NewLogReader(f)
	if err != nil {
		return failf("%s: %v", path, err)
	}
	fmt.Fprintf(w, "ZooKeeper Transactional Log File with dbid %d txnlog format version %d\n", lr.Header.DBID, lr.Header.Version)
	count := 0
	for {
		data, err := lr.Next()
		switch {
		case err == io.EOF:
			fmt.Fprintf(w, "EOF reached after %d txns.\n", count)
			return nil
		case errors.Is(err, zkfiles.ErrPartial):
			fmt.Fprintf(w, "Last transaction was partial (%v); %d txns before it.\n", err, count)
			return nil
		case errors.Is(err, zkfiles.ErrCorrupt) && data != nil:
			fmt.Fprintf(w, "CRC ERROR - %s\n", formatTxn(data))
		case err != nil:
			return failf("%s: %v", path, err)
		}
		fmt.Fprintln(w, formatTxn(data))
		count++
	}
}

// dumpStoreLog prints the txn log of the zabd store under dataLogDir dir.
func dumpStoreLog(w *bufio.Writer, dir string) error {
	store, err := persistence.Open(persistence.Options{Dir: dir})
	if err != nil {
		return failf("%v (is the server running? stop it first)", err)
	}
	defer store.Close()
	l := store.Log()
	fmt.Fprintf(w, "zabd transaction log in %s: zxids %#x to %#x\n", store.Path(), l.FirstZxid(), l.LastZxid())
	count := 0
	last := int64(0)
	err = l.Iterate(0, func(zxid int64, data []byte) error {
		fmt.Fprintln(w, formatTxn(data))
		count++
		last = zxid
		return nil
	})
	if err != nil {
		fmt.Fprintf(w, "CRC ERROR after zxid %#x: %v\n", last, err)
		return failf("%s: %d txns before a corrupt record", store.Path(), count)
	}
	fmt.Fprintf(w, "%d txns.\n", count)
	return nil
}

// formatTxn formats a logged txn as TxnLogToolkit.printTxn does: time,
// session, cxid, zxid, type and record, on one line.
func formatTxn(data []byte) string {
	hdr, txn, err := server.DecodeTxn(data)
	if err != nil {
		n := min(len(data), 48)
		return fmt.Sprintf("undecodable txn (%v): %x", err, data[:n])
	}
	return fmt.Sprintf("%s session 0x%x cxid 0x%x zxid 0x%x %s %s",
		time.UnixMilli(hdr.Time).In(toolZone).Format("1/2/06, 3:04:05 PM MST"),
		uint64(hdr.ClientID), uint64(int64(hdr.Cxid)), uint64(hdr.Zxid), hdr.Type, formatRecord(txn))
}

// formatRecord formats a txn record as TxnLogToolkit.getFormattedTxnStr does
// (jute's CSV toString for the others), on one line. Sub-txns of a multi are
// formatted too, where ZooKeeper prints their raw bytes.
func formatRecord(rec jute.Record) string {
	switch x := rec.(type) {
	case nil:
		return ""
	case *zkproto.CreateTxn:
		return fmt.Sprintf("%s,%s,%s,%t,%d", x.Path, text(x.Data), aclList(x.ACL), x.Ephemeral, x.ParentCVersion)
	case *zkproto.CreateContainerTxn:
		return fmt.Sprintf("%s,%s,%s,%d", x.Path, text(x.Data), aclList(x.ACL), x.ParentCVersion)
	case *zkproto.CreateTTLTxn:
		return fmt.Sprintf("%s,%s,%s,%d,%d", x.Path, text(x.Data), aclList(x.ACL), x.ParentCVersion, x.TTL)
	case *zkproto.SetDataTxn:
		return fmt.Sprintf("%s,%s,%d", x.Path, text(x.Data), x.Version)
	case *zkproto.DeleteTxn:
		return "'" + x.Path
	case *zkproto.SetACLTxn:
		return fmt.Sprintf("'%s,%s,%d", x.Path, aclVector(x.ACL), x.Version)
	case *zkproto.CheckVersionTxn:
		return fmt.Sprintf("'%s,%d", x.Path, x.Version)
	case *zkproto.CloseSessionTxn:
		parts := make([]string, len(x.Strings))
		for i, p := range x.Strings {
			parts[i] = "'" + p
		}
		return "v{" + strings.Join(parts, ",") + "}"
	case *zkproto.IntRecord: // createSession timeout, error code
		return strconv.Itoa(int(x.N))
	case *zkproto.MultiTxn:
		parts := make([]string, len(x.Txns))
		for i, s := range x.Txns {
			sub := zkproto.NewTxn(s.Type)
			body := ""
			if sub != nil && jute.Unmarshal(s.Data, sub) == nil {
				body = formatRecord(sub)
			} else {
				body = text(s.Data)
			}
			parts[i] = s.Type.String() + ":" + body
		}
		return strings.Join(parts, ";")
	}
	return fmt.Sprintf("%+v", rec)
}

// aclList formats ACLs as java.util.List.toString of jute ACLs.
func aclList(acl []zkproto.ACL) string {
	parts := make([]string, len(acl))
	for i, a := range acl {
		parts[i] = fmt.Sprintf("%d,s{'%s,'%s}", a.Perms, a.ID.Scheme, a.ID.ID)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// aclVector formats ACLs as jute's CSV vector.
func aclVector(acl []zkproto.ACL) string {
	parts := make([]string, len(acl))
	for i, a := range acl {
		parts[i] = fmt.Sprintf("s{%d,s{'%s,'%s}}", a.Perms, a.ID.Scheme, a.ID.ID)
	}
	return "v{" + strings.Join(parts, ",") + "}"
}

// text shows data as TxnLogToolkit does (UTF-8), escaping what would break
// the line.
func text(b []byte) string {
	if utf8.Valid(b) && strings.IndexFunc(string(b), func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return string(b)
	}
	q := strconv.Quote(string(b))
	return q[1 : len(q)-1]
}

// purgeCmd keeps the newest snapshots of a stopped server.
func purgeCmd(c *cli.Context) error {
	_, cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	keep := cfg.SnapRetainCount
	if c.IsSet("n") {
		keep = c.Int("n")
	}
	if keep < snapshot.MinRetainCount {
		return failf("purge: -n %d: keep at least %d snapshots (PurgeTxnLog requires snapRetainCount >= 3)", keep, snapshot.MinRetainCount)
	}
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	res, err := server.Purge(cfg, log, keep)
	if err != nil {
		return failf("purge: %v", err)
	}
	w := c.App.Writer
	for _, m := range res.Removed {
		fmt.Fprintf(w, "Removing file: %s\t%s\n", m.Time.In(toolZone).Format(time.DateTime), m.Path)
	}
	switch {
	case len(res.Kept) < keep:
		fmt.Fprintf(w, "%d snapshots, fewer than %d: nothing purged\n", len(res.Kept), keep)
	case res.LogBefore > 0:
		fmt.Fprintf(w, "kept %d snapshots (zxids %#x to %#x); removed %d; txn log purged before %#x\n",
			len(res.Kept), res.Kept[len(res.Kept)-1].Zxid, res.Kept[0].Zxid, len(res.Removed), res.LogBefore)
	}
	return nil
}

// snapshotExport writes a ZooKeeper snapshot of a stopped server's data.
func snapshotExport(c *cli.Context) error {
	var name, dir string
	switch c.NArg() {
	case 1:
		dir = c.Args().Get(0)
	case 2:
		name, dir = c.Args().Get(0), c.Args().Get(1)
	default:
		return failf("snapshot-export takes [CONFIG] DIR; got %q", c.Args().Slice())
	}
	cfg, err := loadConfigNamed(c, name)
	if err != nil {
		return err
	}
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	path, err := server.ExportSnapshot(cfg, log, dir)
	if err != nil {
		return failf("snapshot-export: %v", err)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\nstart Apache ZooKeeper with dataDir=%s (and no txn log there) to serve it\n", path, dir)
	return nil
}

// loadConfigNamed resolves CONFIG as configPath does for the other verbs
// (bare names in --config, $ZOOCFG, DIR/zoo.cfg, the built-in default) and
// loads it.
func loadConfigNamed(c *cli.Context, name string) (*config.Config, error) {
	dir := c.String("config")
	if name == "" {
		name = os.Getenv("ZOOCFG")
	}
	path := name
	switch {
	case name == "" && dir == "":
		fmt.Fprintln(c.App.ErrWriter, "Using config: built-in default")
		return config.Default(), nil
	case name == "":
		path = filepath.Join(dir, "zoo.cfg")
	case dir != "" && !strings.ContainsRune(name, filepath.Separator):
		path = filepath.Join(dir, name)
	}
	fmt.Fprintf(c.App.ErrWriter, "Using config: %s\n", path)
	cfg, err := config.Load(path)
	if err != nil {
		return nil, failf("%v", err)
	}
	return cfg, nil
}

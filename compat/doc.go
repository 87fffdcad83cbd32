// Package compat tests zabd as a black box, the way real deployments will
// meet it: as a child process on a loopback port, driven by stock clients
// (zkCli.sh, the C client's cli_mt and load_gen, kazoo, go-zookeeper/zk) and
// by a hand-written Jute client, and compared reply for reply with a real
// Apache ZooKeeper 3.8 started next to it (an oracle cross-check in the
// manner of etcd-io/zetcd's xchk).
//
// The package holds tests only; this file exists to carry the package
// documentation. The tests need the Debian packages zookeeper,
// zookeeper-bin and python3-kazoo (`make deps`) and Java 17, use no network
// but 127.0.0.1, and are skipped under -short.
//
// Which server is compared with ZooKeeper is chosen by the environment:
//
//	ZABD_COMPAT_TARGET=zabd       the zabd binary, built once per test binary
//	ZABD_COMPAT_TARGET=zookeeper  a second Apache ZooKeeper (self-consistency:
//	                              proves the harness and its normalisation)
//
// The default is zabd. Against zabd, the scenarios listed in
// known_diffs_test.go log their diff instead of failing; other knobs:
//
//	ZABD_COMPAT_STRICT=1        known differences fail too
//	ZABD_COMPAT_SCENARIO=regexp run only the matching differential scenarios
//	ZABD_COMPAT_DUMP=dir        write every transcript to dir/NAME.LABEL.txt
//	ZABD_COMPAT_SHOW=1          with -v, log ZooKeeper's transcripts
//	ZABD_COMPAT_KEEP=1          keep server directories and logs (kept anyway
//	                            when a test fails; their paths are logged)
//
// For example:
//
//	go test ./compat/                                  # zabd vs ZooKeeper
//	ZABD_COMPAT_TARGET=zookeeper go test ./compat/     # harness self-check
//	ZABD_COMPAT_SCENARIO=watch ZABD_COMPAT_DUMP=/tmp/t go test -run Differential ./compat/
//	go test ./compat/ -run TestKazoo -update           # rewrite the kazoo golden
//
// Layout:
//
//	harness_test.go      server processes: zoo.cfg, start, ruok/imok, logs
//	rawclient_test.go    a Jute client that records every frame it sees
//	transcript_test.go   normalisation (zxids, times, session ids) and diffs
//	differential_test.go runs every scenario on both servers and compares
//	scenarios_*_test.go  the scenarios
//	zkcli_test.go        zkCli.sh transcripts
//	cclient_test.go      the C client: cli_mt transcripts (batch and
//	                     interactive sessions), load_gen
//	kazoo_test.go        the kazoo script in testdata/
//	gozk_test.go         go-zookeeper/zk behaviours with concrete values
package compat

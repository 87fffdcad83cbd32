"""Kazoo recipes against one ZooKeeper server, for compat/recipes_test.go.

Usage: recipes.py MODE HOST:PORT ARGS...

  txn       ROOT                  transactions (multi): print each step's
                                  results and the resulting nodes
  lock      PATH LOG ID ROUNDS    Lock: ROUNDS times acquire, append
                                  "enter ID T" and "exit ID T" (T in
                                  microseconds) to LOG, release
  election  PATH ID HOLD          Election: print "started ID T" and
                                  "contenders N", then, when elected,
                                  "leader ID T", hold HOLD seconds, print
                                  "resign ID T"
  misc      ROOT                  Counter, Semaphore, LockingQueue, Barrier,
                                  DataWatch, ChildrenWatch in one client

Each mode prints one event per line on stdout and exits 0; the Go test
decides whether it is right. Works with the Debian python3-kazoo (2.8).
"""

import os
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException

TIMEOUT = 60


def micros():
    return int(time.time() * 1_000_000)


def out(*args):
    print(*args, flush=True)


def connect(host):
    zk = KazooClient(hosts=host, timeout=10.0)
    zk.start(timeout=TIMEOUT)
    return zk


def result_name(r):
    if isinstance(r, KazooException) or isinstance(r, Exception):
        return type(r).__name__
    if r is True:
        return "True"
    if isinstance(r, str):
        return "path " + r
    if hasattr(r, "version"):  # ZnodeStat
        return "stat version=%d dataLength=%d numChildren=%d" % (r.version, r.dataLength, r.numChildren)
    return repr(r)


def dump(zk, path, indent=""):
    data, stat = zk.get(path)
    out("%s%s %r v%d c%d" % (indent, path, data, stat.version, stat.cversion))
    for child in sorted(zk.get_children(path)):
        dump(zk, path + "/" + child, indent + "  ")


def txn(zk, root):
    zk.create(root, b"r", makepath=True)
    steps = [
        ("create_two", [("create", root + "/a", b"1"), ("create", root + "/b", b"2")]),
        ("check_set_delete", [("check", root + "/a", 0), ("set", root + "/a", b"11", 0),
                              ("delete", root + "/b", -1)]),
        ("bad_version_in_middle", [("create", root + "/c", b"3"), ("check", root + "/a", 0),
                                   ("set", root + "/a", b"x", -1)]),
        ("no_node_first", [("delete", root + "/none", -1), ("create", root + "/d", b"4")]),
        ("node_exists_last", [("set", root + "/a", b"12", -1), ("create", root + "/a", b"dup")]),
        ("sequential_and_ephemeral", [("create_seq", root + "/s-", b""), ("create_seq", root + "/s-", b""),
                                      ("create_eph", root + "/e", b"e")]),
        ("not_empty", [("create", root + "/p", b""), ("create", root + "/p/q", b""),
                       ("delete", root + "/p", -1)]),
    ]
    for name, ops in steps:
        t = zk.transaction()
        for op in ops:
            kind = op[0]
            if kind == "create":
                t.create(op[1], op[2])
            elif kind == "create_seq":
                t.create(op[1], op[2], sequence=True)
            elif kind == "create_eph":
                t.create(op[1], op[2], ephemeral=True)
            elif kind == "check":
                t.check(op[1], op[2])
            elif kind == "set":
                t.set_data(op[1], op[2], version=op[3])
            elif kind == "delete":
                t.delete(op[1], version=op[2])
        results = t.commit()
        out("txn %s: %s" % (name, ", ".join(result_name(r) for r in results)))
    dump(zk, root)


def lock(zk, path, log, ident, rounds):
    lk = zk.Lock(path, ident)
    for _ in range(rounds):
        if not lk.acquire(timeout=TIMEOUT):
            raise SystemExit("lock not acquired in %ds" % TIMEOUT)
        try:
            with open(log, "a") as f:
                f.write("enter %s %d\n" % (ident, micros()))
            time.sleep(0.02)
            with open(log, "a") as f:
                f.write("exit %s %d\n" % (ident, micros()))
        finally:
            lk.release()
    out("done", ident, rounds)


def election(zk, path, ident, hold):
    el = zk.Election(path, ident)
    out("started", ident, micros())

    def lead():
        out("leader", ident, micros(), "contenders=%s" % ",".join(el.contenders()))
        time.sleep(hold)
        out("resign", ident, micros())

    el.run(lead)


def misc(zk, root):
    zk.ensure_path(root)

    # Counter: optimistic increments with a version check.
    c = zk.Counter(root + "/counter")
    c += 5
    c -= 2
    out("counter", c.value)

    # Semaphore with 2 leases: a third holder is refused at once.
    sems = [zk.Semaphore(root + "/sem", identifier="h%d" % i, max_leases=2) for i in range(3)]
    got = [s.acquire(blocking=False) for s in sems]
    out("semaphore", got, sorted(sems[0].lease_holders()))
    for s, g in zip(sems, got):
        if g:
            s.release()

    # LockingQueue: put, get, consume in order.
    q = zk.LockingQueue(root + "/queue")
    for item in (b"one", b"two", b"three"):
        q.put(item)
    items = []
    for _ in range(3):
        items.append(q.get(timeout=TIMEOUT))
        q.consume()
    out("queue", items, len(q))

    # Barrier: wait returns once it is removed.
    b = zk.Barrier(root + "/barrier")
    b.create()
    threading.Timer(0.3, b.remove).start()
    out("barrier", b.wait(timeout=TIMEOUT))

    # DataWatch and ChildrenWatch see every change, in order.
    seen = []
    cond = threading.Condition()

    def note(s):
        with cond:
            seen.append(s)
            cond.notify_all()

    def wait_for(n):
        with cond:
            cond.wait_for(lambda: len(seen) >= n, timeout=TIMEOUT)

    zk.create(root + "/w", b"v0")

    @zk.DataWatch(root + "/w")
    def data_watch(data, stat):
        note("data %r" % (data,))

    @zk.ChildrenWatch(root + "/w")
    def children_watch(children):
        note("children %s" % sorted(children))

    wait_for(2)
    zk.set(root + "/w", b"v1")
    wait_for(3)
    zk.create(root + "/w/k", b"")
    wait_for(4)
    zk.delete(root + "/w/k")
    wait_for(5)
    zk.delete(root + "/w")
    wait_for(6)
    for s in seen:
        out("watch", s)


def main():
    mode, host = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    zk = connect(host)
    try:
        if mode == "txn":
            txn(zk, args[0])
        elif mode == "lock":
            lock(zk, args[0], args[1], args[2], int(args[3]))
        elif mode == "election":
            election(zk, args[0], args[1], float(args[2]))
        elif mode == "misc":
            misc(zk, args[0])
        else:
            raise SystemExit("unknown mode " + mode)
    finally:
        zk.stop()
        zk.close()


if __name__ == "__main__":
    main()

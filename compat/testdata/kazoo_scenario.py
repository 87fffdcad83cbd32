#!/usr/bin/env python3
"""kazoo behaviours against one server, printed as a deterministic transcript.

Usage: kazoo_scenario.py HOST:PORT
       kazoo_scenario.py HOST:PORT --hold-ephemeral PATH TIMEOUT   (helper)

The Go test compat/kazoo_test.go runs it against Apache ZooKeeper and the
target and compares stdout (and ZooKeeper's against kazoo_scenario.golden).
Nothing printed may depend on timing, session ids or zxids. Waits are
bounded; the only waits for time to pass are for a session to expire.

Watch callbacks run on kazoo's single callback thread in arrival order, so
a watch that fires once is checked with a fence: after the change that must
not fire it again, a second watch on another node is triggered and awaited;
a stray event would have been delivered before it.
"""

import queue
import subprocess
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError, NotEmptyError, BadVersionError
from kazoo.protocol.states import KazooState

HOST = sys.argv[1]
ROOT = "/kz"
WAIT = 20.0       # an event that must come
EXPIRY_WAIT = 40.0  # a 4 s session: expired within about 6 s


def out(*parts):
    print(" ".join(str(p) for p in parts), flush=True)


def client(timeout=30.0, **kw):
    c = KazooClient(hosts=HOST, timeout=timeout, **kw)
    c.start(timeout=20)
    return c


class Watch:
    """Collects watch events in a queue."""

    def __init__(self):
        self.q = queue.Queue()

    def __call__(self, ev):
        self.q.put(ev)

    def next(self, what, timeout=WAIT):
        try:
            ev = self.q.get(timeout=timeout)
        except queue.Empty:
            out(what, "NO EVENT")
            return None
        out(what, ev.type, ev.state, ev.path)
        return ev

    def none_pending(self, what):
        out(what, "no further event" if self.q.empty() else "EXTRA EVENT %r" % (self.q.get(),))


def fence(c, other):
    """Waits for a watch on a scratch node that fires after everything so far."""
    path = ROOT + "/fence"
    w = Watch()
    if c.exists(path, watch=w) is None:
        other.create(path)
    else:
        other.delete(path)
    w.q.get(timeout=WAIT)


def hold_ephemeral(path, timeout):
    """Helper process: create an ephemeral, report the session, then block."""
    c = client(timeout=float(timeout))
    c.create(path, b"held", ephemeral=True, makepath=True)
    sid, pw = c.client_id
    print("ready %d %s" % (sid, pw.hex()), flush=True)
    sys.stdin.read()  # killed by the parent


def spawn_holder(path, timeout):
    p = subprocess.Popen([sys.executable, __file__, HOST, "--hold-ephemeral", path, str(timeout)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    if len(line) != 3 or line[0] != "ready":
        out("holder failed:", line)
        p.kill()
        sys.exit(1)
    return p, int(line[1]), bytes.fromhex(line[2])


def sequential(c):
    out("== sequential naming")
    base = ROOT + "/seq/n-"
    names = [c.create(base, b"", sequence=True, makepath=True) for _ in range(3)]
    out("created", *names)
    c.delete(names[1])
    out("after delete", c.create(base, sequence=True))
    c.create(ROOT + "/seq/plain")
    try:
        c.create(ROOT + "/seq/plain")
    except NodeExistsError:
        out("plain again: NodeExistsError")
    out("after failed create", c.create(base, sequence=True))
    out("ephemeral sequential", c.create(ROOT + "/seq/e-", ephemeral=True, sequence=True))
    out("other prefix", c.create(ROOT + "/seq/x", sequence=True))
    out("children", sorted(c.get_children(ROOT + "/seq")))
    st = c.exists(ROOT + "/seq")
    out("parent cversion", st.cversion, "numChildren", st.numChildren)


def watches(c1, c2):
    out("== watches fire once")
    p = ROOT + "/w"
    c1.create(p, b"0")
    w = Watch()
    data, st = c1.get(p, watch=w)
    out("get", data, "version", st.version)
    c2.set(p, b"1")
    w.next("data watch:")
    c2.set(p, b"2")
    fence(c1, c2)
    w.none_pending("data watch after second set:")

    w = Watch()
    out("exists missing:", c1.exists(p + "/new", watch=w))
    c2.create(p + "/new", b"n")
    w.next("exist watch:")
    c2.set(p + "/new", b"m")
    fence(c1, c2)
    w.none_pending("exist watch after set:")

    w = Watch()
    out("children", c1.get_children(p, watch=w))
    c2.create(p + "/kid")
    w.next("child watch:")
    c2.create(p + "/kid2")
    fence(c1, c2)
    w.none_pending("child watch after second create:")

    w = Watch()
    c1.get(p + "/new", watch=w)
    c2.delete(p + "/new")
    w.next("data watch on delete:")

    try:
        c2.delete(p)
    except NotEmptyError:
        out("delete parent: NotEmptyError")
    try:
        c2.set(p, b"x", version=99)
    except BadVersionError:
        out("set version 99: BadVersionError")
    try:
        c1.get(p + "/missing", watch=Watch())
    except NoNodeError:
        out("get missing: NoNodeError")


def ephemeral_on_close(c1):
    out("== ephemerals vanish on close")
    p = ROOT + "/eph/closed"
    c3 = client()
    c3.create(p, b"", ephemeral=True, makepath=True)
    st = c1.exists(p)
    out("owner is the creator:", st.ephemeralOwner == c3.client_id[0])
    w = Watch()
    c1.exists(p, watch=w)
    c3.stop()
    c3.close()
    w.next("after close:")
    out("exists:", c1.exists(p))


def ephemeral_on_expiry(c1):
    out("== ephemerals vanish on session expiry (4 s)")
    p = ROOT + "/eph/expired"
    holder, sid, pw = spawn_holder(p, 4)
    st = c1.exists(p)
    out("held by the helper's session:", st is not None and st.ephemeralOwner == sid)
    w = Watch()
    c1.exists(p, watch=w)
    holder.kill()  # no closeSession: the server must expire the session
    holder.wait()
    w.next("after expiry:", timeout=EXPIRY_WAIT)
    out("exists:", c1.exists(p))
    states = queue.Queue()
    c5 = KazooClient(hosts=HOST, timeout=4.0, client_id=(sid, pw))
    c5.add_listener(states.put)
    c5.start(timeout=20)
    seen = []
    while not states.empty():
        seen.append(states.get())
    out("resuming the expired session: states", seen, "new session:", c5.client_id[0] != sid)
    c5.stop()
    c5.close()


def reconnect_keeps_session(c1):
    out("== reconnect with session id and password keeps the session")
    p = ROOT + "/eph/resumed"
    holder, sid, pw = spawn_holder(p, 30)
    holder.kill()
    holder.wait()
    c6 = KazooClient(hosts=HOST, timeout=30.0, client_id=(sid, pw))
    c6.start(timeout=20)
    out("same session:", c6.client_id[0] == sid, "same password:", c6.client_id[1] == pw)
    st = c6.exists(p)
    out("ephemeral kept:", st is not None and st.ephemeralOwner == sid)
    w = Watch()
    c1.exists(p, watch=w)
    c6.stop()
    c6.close()
    w.next("after closing the resumed session:")


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--hold-ephemeral":
        hold_ephemeral(sys.argv[3], sys.argv[4])
        return
    c1 = client()
    c2 = client()
    out("connected:", c1.state == KazooState.CONNECTED, c2.state == KazooState.CONNECTED)
    c1.create(ROOT)
    sequential(c1)
    watches(c1, c2)
    ephemeral_on_close(c1)
    ephemeral_on_expiry(c1)
    reconnect_keeps_session(c1)
    c1.delete(ROOT, recursive=True)
    out("cleaned up:", c2.exists(ROOT))
    c1.stop()
    c1.close()
    c2.stop()
    c2.close()
    out("== done")


if __name__ == "__main__":
    main()

// ElectionPeer runs Apache ZooKeeper's own QuorumCnxManager (the election
// transport) outside a server, for the interoperability test in
// java_test.go and for CaptureWire.
//
//	java ElectionPeer MYID SID=HOST:PORT[|HOST:PORT] ... [multiaddress]
//
// The entry for MYID gives the address to listen on. Commands on stdin:
// "send SID HEX" queues a message (QuorumCnxManager.toSend); "quit" halts.
// Every received message is printed as "recv SID HEX"; "ready" is printed
// once the listener runs.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.server.quorum.QuorumCnxManager;
import org.apache.zookeeper.server.quorum.QuorumPeer;
import org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer;
import org.apache.zookeeper.server.quorum.auth.NullQuorumAuthLearner;
import org.apache.zookeeper.server.quorum.auth.NullQuorumAuthServer;
import org.apache.zookeeper.server.quorum.flexible.QuorumMaj;

public class ElectionPeer {
    static java.lang.reflect.Field bufferField, sidField;

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    // start builds a QuorumPeer that is never started (no data dir, no
    // election) and a QuorumCnxManager on it.
    static QuorumCnxManager start(long myid, Map<Long, String> addrs, boolean multi) throws Exception {
        // QuorumServer refuses several addresses unless the feature is on.
        System.setProperty(QuorumPeer.CONFIG_KEY_MULTI_ADDRESS_ENABLED, Boolean.toString(multi));
        Map<Long, QuorumServer> view = new HashMap<>();
        for (Map.Entry<Long, String> e : addrs.entrySet()) {
            // server.N=quorumAddr:electionAddr[|...]; the quorum port is unused.
            StringBuilder spec = new StringBuilder();
            for (String a : e.getValue().split("\\|")) {
                String host = a.substring(0, a.lastIndexOf(':'));
                String port = a.substring(a.lastIndexOf(':') + 1);
                if (spec.length() > 0) {
                    spec.append('|');
                }
                spec.append(host).append(":1:").append(port);
            }
            view.put(e.getKey(), new QuorumServer(e.getKey(), spec.toString()));
        }
        QuorumPeer peer = new QuorumPeer();
        peer.setMyid(myid);
        peer.setMultiAddressEnabled(multi);
        peer.setQuorumVerifier(new QuorumMaj(view), false);
        QuorumCnxManager qcm = new QuorumCnxManager(peer, myid, peer.getView(),
            new NullQuorumAuthServer(), new NullQuorumAuthLearner(), 5000, false, 20, false);
        return qcm;
    }

    public static void main(String[] args) throws Exception {
        long myid = Long.parseLong(args[0]);
        Map<Long, String> addrs = new HashMap<>();
        boolean multi = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("multiaddress")) {
                multi = true;
                continue;
            }
            String[] kv = args[i].split("=", 2);
            addrs.put(Long.parseLong(kv[0]), kv[1]);
        }
        QuorumCnxManager qcm = start(myid, addrs, multi);
        qcm.listener.start();
        bufferField = QuorumCnxManager.Message.class.getDeclaredField("buffer");
        sidField = QuorumCnxManager.Message.class.getDeclaredField("sid");
        bufferField.setAccessible(true);
        sidField.setAccessible(true);
        Thread recv = new Thread(() -> {
            try {
                while (true) {
                    QuorumCnxManager.Message m = qcm.pollRecvQueue(100, TimeUnit.MILLISECONDS);
                    if (m != null) {
                        // Message's fields are package-private.
                        ByteBuffer buf = (ByteBuffer) bufferField.get(m);
                        long sid = sidField.getLong(m);
                        byte[] b = new byte[buf.remaining()];
                        buf.get(b);
                        synchronized (System.out) {
                            System.out.println("recv " + sid + " " + hex(b));
                            System.out.flush();
                        }
                    }
                }
            } catch (InterruptedException | IllegalAccessException e) {
                // quit
            }
        });
        recv.setDaemon(true);
        recv.start();
        // Wait for the listener socket before saying ready.
        String self = addrs.get(myid).split("\\|")[0];
        for (int i = 0; i < 100; i++) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(self.substring(0, self.lastIndexOf(':')),
                    Integer.parseInt(self.substring(self.lastIndexOf(':') + 1))), 100);
                break;
            } catch (java.io.IOException e) {
                Thread.sleep(50);
            }
        }
        synchronized (System.out) {
            System.out.println("ready");
            System.out.flush();
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.trim().split(" ");
            if (f[0].equals("send")) {
                qcm.toSend(Long.parseLong(f[1]), ByteBuffer.wrap(unhex(f[2])));
            } else if (f[0].equals("quit")) {
                break;
            }
        }
        qcm.halt();
        System.exit(0);
    }
}

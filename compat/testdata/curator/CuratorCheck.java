// CuratorCheck drives Apache Curator recipes against one ZooKeeper server
// for compat/curator_test.go. Each mode prints what happened, one event per
// line on stdout, and exits 0; the Go test decides whether it is right.
// Built against the Debian libcurator-*-java jars (Curator 5.4).
//
//   mutex   CONNECT PATH LOG ID ROUNDS   InterProcessMutex: ROUNDS times
//                                        acquire, append "enter ID T" and
//                                        "exit ID T" (T in microseconds)
//                                        to LOG, release
//   leader  CONNECT PATH ID HOLDMS       LeaderLatch: print "started ID T",
//                                        wait for leadership, print
//                                        "leader ID T", hold HOLDMS, print
//                                        "resign ID T", close
//   counter CONNECT PATH ID N            DistributedAtomicLong: N increments,
//                                        print "done ID N"
//   get     CONNECT PATH                 print "value V" of the counter
//   cache   CONNECT PATH                 CuratorCache and TreeCache on PATH
//                                        while this process creates,
//                                        updates and deletes below it
//   consume CONNECT PATH N               DistributedQueue consumer: print
//                                        "item X" for N items
//   produce CONNECT PATH PREFIX N        DistributedQueue producer: put
//                                        PREFIX-0 .. PREFIX-(N-1)
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.TreeCache;
import org.apache.curator.framework.recipes.cache.TreeCacheEvent;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;

public class CuratorCheck {
    static final long WAIT_S = 60;

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        try (CuratorFramework client = connect(args[1])) {
            switch (mode) {
                case "mutex": mutex(client, args[2], args[3], args[4], Integer.parseInt(args[5])); break;
                case "leader": leader(client, args[2], args[3], Long.parseLong(args[4])); break;
                case "counter": counter(client, args[2], args[3], Integer.parseInt(args[4])); break;
                case "get": get(client, args[2]); break;
                case "cache": cache(client, args[1], args[2]); break;
                case "consume": consume(client, args[2], Integer.parseInt(args[3])); break;
                case "produce": produce(client, args[2], args[3], Integer.parseInt(args[4])); break;
                default: throw new IllegalArgumentException("unknown mode " + mode);
            }
        }
        System.out.flush();
    }

    static long micros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    static void append(String log, String line) throws Exception {
        // One write per line with O_APPEND: lines of both processes never mix.
        Files.write(Paths.get(log), (line + "\n").getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    static void mutex(CuratorFramework client, String path, String log, String id, int rounds) throws Exception {
        InterProcessMutex lock = new InterProcessMutex(client, path);
        for (int i = 0; i < rounds; i++) {
            if (!lock.acquire(WAIT_S, TimeUnit.SECONDS)) {
                throw new IllegalStateException("lock not acquired in " + WAIT_S + "s");
            }
            try {
                append(log, "enter " + id + " " + micros());
                Thread.sleep(20);
                append(log, "exit " + id + " " + micros());
            } finally {
                lock.release();
            }
        }
        System.out.println("done " + id + " " + rounds);
    }

    static void leader(CuratorFramework client, String path, String id, long holdMs) throws Exception {
        LeaderLatch latch = new LeaderLatch(client, path, id);
        latch.start();
        System.out.println("started " + id + " " + micros());
        System.out.flush();
        if (!latch.await(WAIT_S, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no leadership in " + WAIT_S + "s");
        }
        System.out.println("leader " + id + " " + micros() + " participants=" + latch.getParticipants().size());
        System.out.flush();
        Thread.sleep(holdMs);
        if (!latch.hasLeadership()) {
            throw new IllegalStateException("lost leadership while holding it");
        }
        System.out.println("resign " + id + " " + micros());
        System.out.flush();
        latch.close();
    }

    static void counter(CuratorFramework client, String path, String id, int n) throws Exception {
        DistributedAtomicLong count = new DistributedAtomicLong(client, path, new RetryNTimes(1000, 5));
        for (int i = 0; i < n; i++) {
            AtomicValue<Long> v = count.increment();
            while (!v.succeeded()) {
                v = count.increment();
            }
        }
        System.out.println("done " + id + " " + n);
    }

    static void get(CuratorFramework client, String path) throws Exception {
        DistributedAtomicLong count = new DistributedAtomicLong(client, path, new RetryNTimes(10, 10));
        AtomicValue<Long> v = count.get();
        if (!v.succeeded()) {
            throw new IllegalStateException("get did not succeed");
        }
        System.out.println("value " + v.postValue());
    }

    static CuratorFramework connect(String connect) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(10000)
                .connectionTimeoutMs(15000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10))
                .build();
        c.start();
        if (!c.blockUntilConnected((int) WAIT_S, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not connected to " + connect);
        }
        return c;
    }

    // NB: each cache has a client (session) of its own. With one session
    // for both, the Java client hands a NodeCreated that matches both the
    // TreeCache's one-shot watch and the CuratorCache's persistent
    // recursive watch to the TreeCache only, against Apache ZooKeeper too.
    @SuppressWarnings("deprecation") // TreeCache: deprecated for CuratorCache, still widely used
    static void cache(CuratorFramework client, String connect, String path) throws Exception {
        client.create().creatingParentsIfNeeded().forPath(path, "root".getBytes(StandardCharsets.UTF_8));
        BlockingQueue<String> curator = new LinkedBlockingQueue<>();
        BlockingQueue<String> tree = new LinkedBlockingQueue<>();
        try (CuratorFramework ccClient = connect(connect); CuratorFramework tcClient = connect(connect)) {
            CuratorCache cc = CuratorCache.build(ccClient, path);
            CountDownLatch ccInit = new CountDownLatch(1);
            cc.listenable().addListener(CuratorCacheListener.builder()
                    .forCreates(n -> curator.add("created " + n.getPath() + " " + str(n.getData())))
                    .forChanges((o, n) -> curator.add("changed " + n.getPath() + " " + str(o.getData()) + "->" + str(n.getData())))
                    .forDeletes(o -> curator.add("deleted " + o.getPath() + " " + str(o.getData())))
                    .forInitialized(ccInit::countDown)
                    .afterInitialized()
                    .build());
            TreeCache tc = TreeCache.newBuilder(tcClient, path).build();
            CountDownLatch tcInit = new CountDownLatch(1);
            tc.getListenable().addListener((c, e) -> {
                if (e.getType() == TreeCacheEvent.Type.INITIALIZED) {
                    tcInit.countDown();
                } else if (e.getData() != null) {
                    tree.add(e.getType() + " " + e.getData().getPath() + " " + str(e.getData().getData()));
                }
            });
            cc.start();
            tc.start();
            if (!ccInit.await(WAIT_S, TimeUnit.SECONDS) || !tcInit.await(WAIT_S, TimeUnit.SECONDS)) {
                throw new IllegalStateException("caches not initialized");
            }
            // TreeCache reports the initial content before INITIALIZED.
            for (String e; (e = tree.poll()) != null; ) {
                System.out.println("tree initial " + e);
            }
            System.out.println("initialized " + cc.size());
            // Each step waits for both caches to see it, so the order is fixed.
            String[][] steps = {
                {"create", path + "/a", "1"},
                {"set", path + "/a", "2"},
                {"create", path + "/a/b", "3"},
                {"set", path, "root2"},
                {"delete", path + "/a/b", null},
                {"delete", path + "/a", null},
            };
            for (String[] s : steps) {
                switch (s[0]) {
                    case "create": client.create().forPath(s[1], s[2].getBytes(StandardCharsets.UTF_8)); break;
                    case "set": client.setData().forPath(s[1], s[2].getBytes(StandardCharsets.UTF_8)); break;
                    case "delete": client.delete().forPath(s[1]); break;
                    default: throw new IllegalStateException(s[0]);
                }
                System.out.println("curator " + curator.poll(WAIT_S, TimeUnit.SECONDS));
                System.out.println("tree " + tree.poll(WAIT_S, TimeUnit.SECONDS));
            }
            // Nothing more may come.
            Thread.sleep(500);
            for (String e; (e = curator.poll()) != null; ) {
                System.out.println("curator extra " + e);
            }
            for (String e; (e = tree.poll()) != null; ) {
                System.out.println("tree extra " + e);
            }
            System.out.println("cached " + cc.size() + " " + str(tc.getCurrentData(path).getData()));
            tc.close();
            cc.close();
        }
    }

    static String str(byte[] b) {
        return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
    }

    static final QueueSerializer<String> SERIALIZER = new QueueSerializer<String>() {
        public byte[] serialize(String item) {
            return item.getBytes(StandardCharsets.UTF_8);
        }

        public String deserialize(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    static void consume(CuratorFramework client, String path, int n) throws Exception {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        QueueConsumer<String> consumer = new QueueConsumer<String>() {
            public void consumeMessage(String item) {
                got.add(item);
            }

            public void stateChanged(CuratorFramework c, ConnectionState s) {
            }
        };
        DistributedQueue<String> q = QueueBuilder.builder(client, consumer, SERIALIZER, path)
                .lockPath(path + "-lock").buildQueue();
        q.start();
        System.out.println("consuming");
        System.out.flush();
        for (int i = 0; i < n; i++) {
            String item = got.poll(WAIT_S, TimeUnit.SECONDS);
            if (item == null) {
                throw new IllegalStateException("only " + i + " items in " + WAIT_S + "s");
            }
            System.out.println("item " + item);
        }
        q.close();
    }

    static void produce(CuratorFramework client, String path, String prefix, int n) throws Exception {
        DistributedQueue<String> q = QueueBuilder.builder(client, null, SERIALIZER, path).buildQueue();
        q.start();
        for (int i = 0; i < n; i++) {
            q.put(prefix + "-" + i);
        }
        q.close();
        System.out.println("produced " + n);
    }
}

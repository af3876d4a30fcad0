// Curator 5.4 with canBeReadOnly(true) against a read-only member (tests/quorum/test_read_only.py).
//
// Usage: java -cp classes:<curator+zookeeper jars> CuratorReadOnly HOST:PORT PATH
// 1. connects, waits for the READ_ONLY connection state, reads PATH, checks that a create
//    under PATH fails with NotReadOnlyException; prints "READONLY ok";
// 2. waits for a line on stdin (the test has brought the quorum back), then for the client to
//    be connected read-write again (CONNECTED or RECONNECTED after READ_ONLY) and a create to
//    succeed; prints "READWRITE ok";
// then "STATES <every connection state seen>" and exits 0. Any failure prints "FAIL <why>"
// and exits 1. Every wait is bounded.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;

public final class CuratorReadOnly {
    private static final List<ConnectionState> STATES = new CopyOnWriteArrayList<>();

    private static boolean waitFor(ConnectionState want, int from, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (int i = from; i < STATES.size(); i++) {
                if (STATES.get(i) == want) {
                    return true;
                }
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static void fail(String why) {
        System.out.println("FAIL " + why);
        System.out.println("STATES " + STATES);
        System.out.flush();
        System.exit(1);
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        String path = args[1];
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .canBeReadOnly(true)
                .sessionTimeoutMs(15000)
                .connectionTimeoutMs(5000)
                .retryPolicy(new RetryNTimes(200, 250))
                .build();
        c.getConnectionStateListenable().addListener((client, state) -> STATES.add(state));
        c.start();
        try {
            if (!waitFor(ConnectionState.READ_ONLY, 0, 30)) {
                fail("no READ_ONLY state within 30 s");
            }
            byte[] data = c.getData().forPath(path);
            if (data == null || data.length == 0) {
                fail("empty data at " + path);
            }
            try {
                c.create().forPath(path + "/curator-ro");
                fail("create succeeded on a read-only server");
            } catch (KeeperException.NotReadOnlyException expected) {
                // as in ZooKeeper
            }
            System.out.println("READONLY ok " + new String(data, StandardCharsets.UTF_8));
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            if (in.readLine() == null) {
                fail("stdin closed");
            }
            int mark = STATES.lastIndexOf(ConnectionState.READ_ONLY);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            boolean rw = false;
            while (!rw && System.nanoTime() < deadline) {
                for (int i = mark + 1; i < STATES.size(); i++) {
                    ConnectionState s = STATES.get(i);
                    if (s == ConnectionState.CONNECTED || s == ConnectionState.RECONNECTED) {
                        rw = true;
                    }
                }
                Thread.sleep(50);
            }
            if (!rw) {
                fail("not read-write again within 90 s");
            }
            c.create().forPath(path + "/curator-rw");
            System.out.println("READWRITE ok");
            System.out.println("STATES " + STATES);
            System.out.flush();
        } finally {
            c.close();
        }
        System.exit(0);
    }
}

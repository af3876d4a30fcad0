// Drives the real ZooKeeper Java client through the recording proxy (see capture.sh).
//
// Usage: java GoldenClient <proxyPort> <controlPort> <serverPort>
//
// Session A goes through the proxy and is recorded; every step is announced on the proxy's
// control port ("mark <step>") so the capture carries "# <step>" comments. Session B talks to the
// server directly (not recorded): it changes nodes while A is disconnected, so A's setWatches on
// reconnect triggers notifications, and it is deliberately left open so that the snapshot taken
// at the next server start still holds a live session and its ephemeral node.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

public class GoldenClient {
    static final long WAIT_MS = 15000;
    static Socket ctlSock;
    static BufferedReader ctlIn;
    static OutputStream ctlOut;

    static final LinkedBlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void ctl(String cmd) throws Exception {
        ctlOut.write(b(cmd + "\n"));
        ctlOut.flush();
        String reply = ctlIn.readLine();
        if (!"ok".equals(reply)) {
            throw new IllegalStateException("proxy control '" + cmd + "' answered " + reply);
        }
    }

    static void step(String name) throws Exception {
        System.out.println("== " + name);
        ctl("mark " + name);
    }

    /** Waits (bounded) for a connection-state event on session A, skipping node events. */
    static void awaitState(Watcher.Event.KeeperState want) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (true) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new IllegalStateException("timed out waiting for " + want);
            }
            WatchedEvent e = events.poll(left, TimeUnit.MILLISECONDS);
            if (e != null && e.getType() == Watcher.Event.EventType.None && e.getState() == want) {
                return;
            }
        }
    }

    interface KRun {
        void run() throws Exception;
    }

    static void expectError(KeeperException.Code code, KRun r) throws Exception {
        try {
            r.run();
            throw new IllegalStateException("expected " + code);
        } catch (KeeperException e) {
            if (e.code() != code) {
                throw e;
            }
            System.out.println("   got expected " + code);
        }
    }

    public static void main(String[] args) throws Exception {
        int proxyPort = Integer.parseInt(args[0]);
        int controlPort = Integer.parseInt(args[1]);
        int serverPort = Integer.parseInt(args[2]);

        ctlSock = new Socket("127.0.0.1", controlPort);
        ctlSock.setSoTimeout((int) WAIT_MS);
        ctlIn = new BufferedReader(new InputStreamReader(ctlSock.getInputStream(), StandardCharsets.UTF_8));
        ctlOut = ctlSock.getOutputStream();

        Watcher watcherA = e -> {
            System.out.println("   A event: " + e);
            events.add(e);
        };

        step("connect (Java client, canBeReadOnly=true, sessionTimeout=4000)");
        ZooKeeper zk = new ZooKeeper("127.0.0.1:" + proxyPort, 4000, watcherA, true);
        awaitState(Watcher.Event.KeeperState.SyncConnected);
        System.out.println("   session 0x" + Long.toHexString(zk.getSessionId()));

        step("addAuthInfo digest golden:secret (auth packet, xid -4)");
        zk.addAuthInfo("digest", b("golden:secret"));

        step("create /golden (create, opcode 1)");
        zk.create("/golden", b("root"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        step("create2 /golden/c2 with Stat (opcode 15)");
        Stat st = new Stat();
        zk.create("/golden/c2", b("c2-data"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, st);

        step("create /golden/nulldata with null data");
        zk.create("/golden/nulldata", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        step("create ephemeral /golden/eph");
        zk.create("/golden/eph", b("e"), Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);

        step("create ephemeral sequential /golden/eseq-");
        zk.create("/golden/eseq-", b("es"), Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);

        step("create persistent sequential /golden/pseq-");
        zk.create("/golden/pseq-", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);

        step("create /golden/acl with CREATOR_ALL_ACL (auth scheme)");
        zk.create("/golden/acl", b("secret"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);

        step("create container /golden/container (createContainer, opcode 19)");
        zk.create("/golden/container", new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);

        step("create TTL /golden/ttl ttl=600000 (createTTL, opcode 21)");
        zk.create("/golden/ttl", b("t"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 600000);

        step("create /golden again -> NODEEXISTS (-110)");
        expectError(KeeperException.Code.NODEEXISTS,
                () -> zk.create("/golden", b("x"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));

        // Session B (direct, unrecorded) owns an ephemeral that survives into the snapshot.
        ZooKeeper zkB = new ZooKeeper("127.0.0.1:" + serverPort, 30000, e -> { });
        long deadlineB = System.currentTimeMillis() + WAIT_MS;
        while (zkB.getState() != ZooKeeper.States.CONNECTED) {
            if (System.currentTimeMillis() > deadlineB) {
                throw new IllegalStateException("session B did not connect");
            }
            Thread.sleep(20);
        }
        zkB.create("/golden/eph-b", b("b"), Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);

        step("create /golden/w");
        zk.create("/golden/w", b("v0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        step("getData /golden/w watch=true");
        zk.getData("/golden/w", true, new Stat());

        step("getData /golden/nulldata (null data in reply)");
        zk.getData("/golden/nulldata", false, null);

        step("setData /golden/w -> NodeDataChanged notification (xid -1) then reply");
        zk.setData("/golden/w", b("v1"), -1);

        step("setData /golden/w version 42 -> BADVERSION (-103)");
        expectError(KeeperException.Code.BADVERSION, () -> zk.setData("/golden/w", b("bad"), 42));

        step("exists /golden/missing watch=true -> NONODE (-101), no body");
        if (zk.exists("/golden/missing", true) != null) {
            throw new IllegalStateException("/golden/missing exists");
        }

        step("exists /golden/w (Stat body)");
        zk.exists("/golden/w", false);

        step("getChildren2 /golden watch=true (opcode 12)");
        zk.getChildren("/golden", true, new Stat());

        step("create /golden/kid -> NodeChildrenChanged notification on /golden");
        zk.create("/golden/kid", b("k"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        step("getChildren /golden (opcode 8)");
        zk.getChildren("/golden", false);

        step("getACL /golden/acl");
        zk.getACL("/golden/acl", new Stat());

        step("setACL /golden/c2 [world:anyone r, ip:127.0.0.1 cdrwa] version 0");
        List<ACL> acl2 = Arrays.asList(new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE),
                new ACL(Perms.ALL, new Id("ip", "127.0.0.1")));
        zk.setACL("/golden/c2", acl2, 0);

        step("getACL /golden/c2");
        zk.getACL("/golden/c2", new Stat());

        step("multi OK: create /golden/m1, setData /golden/m1, check /golden/m1 v1, create /golden/m2, delete /golden/m2");
        zk.multi(Arrays.asList(
                Op.create("/golden/m1", b("m"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.setData("/golden/m1", b("m1"), 0),
                Op.check("/golden/m1", 1),
                Op.create("/golden/m2", b("x"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.delete("/golden/m2", -1)));

        step("multi FAIL: create /golden/f1, setData /golden/w, check /golden/w v99 (BADVERSION), create /golden/f2");
        try {
            zk.multi(Arrays.asList(
                    Op.create("/golden/f1", b("f"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                    Op.setData("/golden/w", b("never"), -1),
                    Op.check("/golden/w", 99),
                    Op.create("/golden/f2", b("f"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));
            throw new IllegalStateException("failing multi succeeded");
        } catch (KeeperException e) {
            System.out.println("   multi failed as expected: " + e.code() + " " + e.getResults());
        }

        step("multiRead: getData /golden/w, getChildren /golden, getData /golden/missing (opcode 22)");
        try {
            List<OpResult> rr = zk.multi(Arrays.asList(
                    Op.getData("/golden/w"), Op.getChildren("/golden"), Op.getData("/golden/missing")));
            System.out.println("   multiRead results " + rr.size());
        } catch (KeeperException e) {
            System.out.println("   multiRead threw " + e.code());
        }

        step("arm watches before the drop: getData /golden/w, exists /golden/missing, getChildren /golden/c2");
        zk.getData("/golden/w", true, null);
        zk.exists("/golden/missing", true);
        zk.getChildren("/golden/c2", true);

        step("proxy drops the connection; while disconnected session B sets /golden/w and creates /golden/missing");
        ctl("hold");
        ctl("drop");
        awaitState(Watcher.Event.KeeperState.Disconnected);
        zkB.setData("/golden/w", b("changed-by-B"), -1);
        zkB.create("/golden/missing", b("now-here"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        ctl("resume");

        step("reconnect #1: ConnectRequest with session id + passwd, auth resent, setWatches (101; the 3.8 client sends it with a normal xid, not -8)");
        awaitState(Watcher.Event.KeeperState.SyncConnected);
        zk.exists("/golden", false);

        step("whoAmI (opcode 107)");
        System.out.println("   whoAmI: " + zk.whoAmI());

        step("addWatch /golden PERSISTENT_RECURSIVE (opcode 106)");
        zk.addWatch("/golden", AddWatchMode.PERSISTENT_RECURSIVE);

        step("setData /golden/w -> recursive-watch NodeDataChanged");
        zk.setData("/golden/w", b("v2"), -1);

        step("create /golden/rec -> recursive-watch NodeCreated");
        zk.create("/golden/rec", b("r"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        step("proxy drops the connection again (persistent watch outstanding)");
        ctl("hold");
        ctl("drop");
        awaitState(Watcher.Event.KeeperState.Disconnected);
        ctl("resume");

        step("reconnect #2: setWatches2 (105, normal xid) carrying the persistent recursive watch");
        awaitState(Watcher.Event.KeeperState.SyncConnected);
        zk.exists("/golden", false);

        step("sync /golden (opcode 9)");
        CountDownLatch synced = new CountDownLatch(1);
        zk.sync("/golden", (rc, path, ctx) -> synced.countDown(), null);
        if (!synced.await(WAIT_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("sync timed out");
        }

        step("getAllChildrenNumber /golden (opcode 104)");
        System.out.println("   all children: " + zk.getAllChildrenNumber("/golden"));

        step("getEphemerals /golden (opcode 103)");
        System.out.println("   ephemerals: " + zk.getEphemerals("/golden"));

        step("getChildren /golden/kid with a watcher, then removeWatches (checkWatches opcode 17)");
        Watcher kidWatcher = e -> System.out.println("   kid watcher: " + e);
        zk.getChildren("/golden/kid", kidWatcher);
        zk.removeWatches("/golden/kid", kidWatcher, Watcher.WatcherType.Children, false);

        step("removeAllWatches /golden/c2 Any (removeWatches opcode 18)");
        zk.removeAllWatches("/golden/c2", Watcher.WatcherType.Any, false);

        step("idle 3.5 s so the client pings (xid -2, opcode 11)");
        Thread.sleep(3500);

        step("delete /golden/kid (version 0)");
        zk.delete("/golden/kid", 0);

        step("delete /golden -> NOTEMPTY (-111)");
        expectError(KeeperException.Code.NOTEMPTY, () -> zk.delete("/golden", -1));

        step("delete /golden/rec (version -1)");
        zk.delete("/golden/rec", -1);

        step("close -> closeSession (opcode -11); ephemerals /golden/eph and /golden/eseq-* deleted");
        zk.close();

        // Session B is intentionally not closed: its socket closes with the JVM, the session lives
        // on until it expires (30 s), long enough to be in the snapshot of the next server start.
        System.out.println("   session B 0x" + Long.toHexString(zkB.getSessionId()) + " left open");
        ctlSock.close();
        System.out.println("done");
        System.exit(0);
    }
}

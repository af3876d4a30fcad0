// Client side of tests/interop/run.sh: writes a known data set through Apache ZooKeeper's own
// Java client, dumps every znode (data, full Stat, ACL) in a canonical text form, and checks
// that a session survives a server switch. Compiled at run time against Debian's
// /usr/share/java/zookeeper.jar.
//
//   java Interop write  HOST:PORT STATE     creates the data set; leaves session 2 (owner of
//                                           an ephemeral) open: the JVM exits without closing
//                                           it; writes its id and password to STATE
//   java Interop dump   HOST:PORT OUT       every znode under / (except /zookeeper), sorted
//   java Interop session HOST:PORT STATE    reconnects session 2 with its password: it must be
//                                           the same live session and still own its ephemeral;
//                                           a new sequential node must continue the parent's
//                                           counter; closing the session removes the ephemeral
//
// Every step prints `ok: ...` or `FAILED: ...`; the exit status is the number of failures.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

public class Interop {
    static final int TIMEOUT_MS = 30000;
    static int failures = 0;

    static void check(boolean ok, String what) {
        System.out.println((ok ? "ok: " : "FAILED: ") + what);
        if (!ok) failures++;
    }

    static ZooKeeper connect(String hostPort, long sessionId, byte[] passwd) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        final boolean[] expired = {false};
        Watcher w = (WatchedEvent e) -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
            if (e.getState() == Watcher.Event.KeeperState.Expired) {
                expired[0] = true;
                connected.countDown();
            }
        };
        ZooKeeper zk = passwd == null
            ? new ZooKeeper(hostPort, TIMEOUT_MS, w)
            : new ZooKeeper(hostPort, TIMEOUT_MS, w, sessionId, passwd);
        if (!connected.await(20, TimeUnit.SECONDS)) throw new RuntimeException("no connection to " + hostPort);
        if (expired[0]) throw new RuntimeException("session 0x" + Long.toHexString(sessionId) + " expired");
        return zk;
    }

    static String hex(byte[] b) {
        if (b == null) return "null";
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static String stat(Stat s) {
        return "czxid=0x" + Long.toHexString(s.getCzxid()) + " mzxid=0x" + Long.toHexString(s.getMzxid())
            + " pzxid=0x" + Long.toHexString(s.getPzxid()) + " ctime=" + s.getCtime() + " mtime=" + s.getMtime()
            + " version=" + s.getVersion() + " cversion=" + s.getCversion() + " aversion=" + s.getAversion()
            + " ephemeralOwner=0x" + Long.toHexString(s.getEphemeralOwner()) + " dataLength=" + s.getDataLength()
            + " numChildren=" + s.getNumChildren();
    }

    static void dumpNode(ZooKeeper zk, String path, List<String> out) throws Exception {
        Stat s = new Stat();
        byte[] data = zk.getData(path, false, s);
        List<ACL> acl = zk.getACL(path, new Stat());
        List<String> acls = new ArrayList<>();
        for (ACL a : acl) acls.add(a.getId().getScheme() + ":" + a.getId().getId() + ":" + a.getPerms());
        Collections.sort(acls);
        out.add(path + " data=" + hex(data) + " " + stat(s) + " acl=" + acls);
        List<String> children = zk.getChildren(path, false);
        Collections.sort(children);
        for (String c : children) {
            String p = path.equals("/") ? "/" + c : path + "/" + c;
            if (!p.equals("/zookeeper")) dumpNode(zk, p, out);
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0], hostPort = args[1], file = args[2];
        switch (mode) {
            case "write": {
                ZooKeeper zk = connect(hostPort, 0, null);
                zk.addAuthInfo("digest", "user:password".getBytes(StandardCharsets.UTF_8));
                zk.create("/interop", "root".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                zk.create("/interop/nulldata", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                zk.create("/interop/secret", "s3cret".getBytes(), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
                List<ACL> mixed = new ArrayList<>();
                mixed.add(new ACL(ZooDefs.Perms.READ, new Id("world", "anyone")));
                mixed.add(new ACL(ZooDefs.Perms.ALL, new Id("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")));
                zk.create("/interop/mixed", new byte[] {0, 1, 2, (byte) 255}, mixed, CreateMode.PERSISTENT);
                for (int v = 1; v <= 3; v++) zk.setData("/interop", ("root-v" + v).getBytes(), -1);
                zk.setACL("/interop/nulldata", ZooDefs.Ids.READ_ACL_UNSAFE, -1);
                zk.create("/interop/seq", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                List<String> seq = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    seq.add(zk.create("/interop/seq/n-", "x".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE,
                        CreateMode.PERSISTENT_SEQUENTIAL));
                }
                zk.delete(seq.get(1), -1);
                zk.create("/interop/container", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
                zk.create("/interop/container/child", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                zk.multi(java.util.Arrays.asList(
                    Op.create("/interop/m1", "a".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                    Op.create("/interop/m2", "b".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                    Op.setData("/interop/m1", "a2".getBytes(), -1)));
                try {
                    zk.create("/interop", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                } catch (KeeperException.NodeExistsException expected) {
                    // A failed write: an error txn in the log.
                }
                // Session 2: owns an ephemeral, is never closed.
                ZooKeeper owner = connect(hostPort, 0, null);
                owner.create("/interop/eph", "mine".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
                owner.create("/interop/seq/e-", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
                Files.write(Paths.get(file), (Long.toHexString(owner.getSessionId()) + " "
                    + hex(owner.getSessionPasswd()) + "\n").getBytes());
                zk.close();
                System.out.println("ok: wrote the data set; session 0x" + Long.toHexString(owner.getSessionId())
                    + " left open");
                // Exit without closing `owner`: its session must outlive this client.
                Runtime.getRuntime().halt(0);
                break;
            }
            case "dump": {
                ZooKeeper zk = connect(hostPort, 0, null);
                zk.addAuthInfo("digest", "user:password".getBytes(StandardCharsets.UTF_8));
                List<String> out = new ArrayList<>();
                dumpNode(zk, "/", out);
                Files.write(Paths.get(file), (String.join("\n", out) + "\n").getBytes());
                zk.close();
                System.out.println("ok: dumped " + out.size() + " znodes");
                break;
            }
            case "session": {
                String[] state = new String(Files.readAllBytes(Paths.get(file))).trim().split(" ");
                long id = Long.parseUnsignedLong(state[0], 16);
                ZooKeeper zk;
                try {
                    zk = connect(hostPort, id, unhex(state[1]));
                } catch (RuntimeException e) {
                    check(false, "session 0x" + state[0] + " reconnects: " + e.getMessage());
                    System.exit(failures);
                    return;
                }
                check(zk.getSessionId() == id, "session 0x" + state[0] + " is still live after the switch");
                Stat s = zk.exists("/interop/eph", false);
                check(s != null && s.getEphemeralOwner() == id, "its ephemeral /interop/eph is there and owned by it");
                Stat parent = zk.exists("/interop/seq", false);
                int stored = (parent.getCversion() + parent.getNumChildren()) / 2;
                String name = zk.create("/interop/seq/n-", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT_SEQUENTIAL);
                check(name.equals(String.format("/interop/seq/n-%010d", stored)),
                    "the sequential counter continues: " + name);
                zk.close();
                ZooKeeper other = connect(hostPort, 0, null);
                check(other.exists("/interop/eph", false) == null, "closing the session removed its ephemeral");
                other.close();
                break;
            }
            default:
                throw new IllegalArgumentException(mode);
        }
        System.exit(failures);
    }
}

// Curator 5.4's reconfig API against an ensemble (tests/quorum/test_reconfig.py).
//
// Usage: java -cp classes:<curator+zookeeper jars> CuratorReconfig HOST:PORT PASSWORD SPEC SID
// As the super user (digest super:PASSWORD):
// 1. getConfig().forEnsemble(): prints "CONFIG <version hex>";
// 2. reconfig().joining(SPEC).fromConfig(<that version>).forEnsemble(): prints "ADDED <version>";
// 3. reconfig().leaving(SID).fromConfig(<the version before>): must fail with
//    BadVersionException: prints "BADVERSION ok";
// 4. reconfig().leaving(SID).forEnsemble(): prints "REMOVED <version>".
// Any failure prints "FAIL <why>" and exits 1. Every wait is bounded.

import java.nio.charset.StandardCharsets;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;

public final class CuratorReconfig {
    private static long version(byte[] config) {
        String text = new String(config, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.startsWith("version=")) {
                return Long.parseLong(line.substring("version=".length()).trim(), 16);
            }
        }
        throw new IllegalStateException("no version in " + text);
    }

    private static void fail(String why) {
        System.out.println("FAIL " + why);
        System.out.flush();
        System.exit(1);
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        String password = args[1];
        String spec = args[2];
        String sid = args[3];
        CuratorFramework client = CuratorFrameworkFactory.builder()
            .connectString(connect)
            .sessionTimeoutMs(20000)
            .connectionTimeoutMs(15000)
            .retryPolicy(new RetryNTimes(5, 500))
            .authorization("digest", ("super:" + password).getBytes(StandardCharsets.UTF_8))
            .build();
        client.start();
        if (!client.blockUntilConnected(30, java.util.concurrent.TimeUnit.SECONDS)) {
            fail("not connected");
        }
        long before = version(client.getConfig().forEnsemble());
        System.out.println("CONFIG " + Long.toHexString(before));
        byte[] added = client.reconfig().joining(spec).fromConfig(before).forEnsemble();
        String addedText = new String(added, StandardCharsets.UTF_8);
        if (!addedText.contains("server." + sid + "=")) {
            fail("added config lacks server." + sid + ": " + addedText);
        }
        System.out.println("ADDED " + Long.toHexString(version(added)));
        try {
            client.reconfig().leaving(sid).fromConfig(before).forEnsemble();
            fail("a stale fromConfig was accepted");
        } catch (KeeperException.BadVersionException e) {
            System.out.println("BADVERSION ok");
        }
        byte[] removed = client.reconfig().leaving(sid).forEnsemble();
        if (new String(removed, StandardCharsets.UTF_8).contains("server." + sid + "=")) {
            fail("removed config still has server." + sid);
        }
        System.out.println("REMOVED " + Long.toHexString(version(removed)));
        System.out.flush();
        client.close();
        System.exit(0);
    }
}

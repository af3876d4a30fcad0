// Cross-check of zkrs-storage against Apache ZooKeeper's own persistence classes.
//
//   java JavaCompat read  <dataDir>            restore with FileTxnSnapLog, print the state
//   java JavaCompat write <dataDir> <outDir>   restore, then save the tree as .gz and .snappy
//
// Output of `read`: one line "zxid=<hex> nodes=<n> digest=<d> sessions=<map> txns=<n>".
import java.io.File;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;
import org.apache.zookeeper.server.persistence.SnapStream;
import org.apache.zookeeper.server.persistence.TxnLog.TxnIterator;

public class JavaCompat {
    public static void main(String[] args) throws Exception {
        File data = new File(args[1]);
        FileTxnSnapLog snapLog = new FileTxnSnapLog(data, data);
        DataTree dt = new DataTree();
        ConcurrentHashMap<Long, Integer> sessions = new ConcurrentHashMap<>();
        long zxid = snapLog.restore(dt, sessions, (hdr, rec, digest) -> { });
        int txns = 0;
        TxnIterator it = snapLog.readTxnLog(1);
        while (it.getHeader() != null) {
            txns++;
            if (!it.next()) {
                break;
            }
        }
        it.close();
        Map<String, Integer> sorted = new TreeMap<>();
        for (Map.Entry<Long, Integer> e : sessions.entrySet()) {
            sorted.put(Long.toHexString(e.getKey()), e.getValue());
        }
        System.out.println("zxid=" + Long.toHexString(zxid) + " nodes=" + dt.getNodeCount()
            + " digest=" + dt.getTreeDigest() + " sessions=" + sorted + " txns=" + txns);
        if (args[0].equals("write")) {
            File out = new File(args[2]);
            for (SnapStream.StreamMode mode
                    : new SnapStream.StreamMode[] {SnapStream.StreamMode.GZIP, SnapStream.StreamMode.SNAPPY}) {
                SnapStream.setStreamMode(mode);
                new FileTxnSnapLog(out, out).save(dt, sessions, true);
            }
        }
    }
}

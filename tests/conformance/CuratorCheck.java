// Curator 5.4 recipe checks against any ZooKeeper-compatible server.
//
// Usage: java -cp classes:<curator+zookeeper jars> CuratorCheck 127.0.0.1:PORT
// Prints one "PASS name" / "FAIL name: reason" line per check and a final
// "N passed, M failed" line; exits 0 iff every check passed.  Every wait is
// bounded and every check runs under a per-check deadline.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.PathChildrenCache;
import org.apache.curator.framework.recipes.cache.PathChildrenCacheEvent;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

public final class CuratorCheck {
    private static final long CHECK_DEADLINE_S = 30;
    private static final long WAIT_S = 10;

    private final String connect;
    private final String root = "/curatorcheck-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<CuratorFramework> clients = Collections.synchronizedList(new ArrayList<>());
    private int passed;
    private int failed;

    private CuratorCheck(String connect) {
        this.connect = connect;
    }

    interface Check {
        void run() throws Exception;
    }

    // ---------------------------------------------------------------- helpers

    private CuratorFramework newClient() throws Exception {
        RetryPolicy retry = new ExponentialBackoffRetry(100, 3);
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(15000)
                .connectionTimeoutMs(10000)
                .retryPolicy(retry)
                .build();
        clients.add(c);
        c.start();
        if (!c.blockUntilConnected((int) WAIT_S, TimeUnit.SECONDS)) {
            throw new AssertionError("client did not connect within " + WAIT_S + " s");
        }
        return c;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // best effort
        }
    }

    private static void check(boolean cond, String what) {
        if (!cond) {
            throw new AssertionError(what);
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(WAIT_S, TimeUnit.SECONDS)) {
            throw new AssertionError("timed out after " + WAIT_S + " s waiting for " + what);
        }
    }

    private static <T> T poll(BlockingQueue<T> q, String what) throws InterruptedException {
        T v = q.poll(WAIT_S, TimeUnit.SECONDS);
        if (v == null) {
            throw new AssertionError("timed out after " + WAIT_S + " s waiting for " + what);
        }
        return v;
    }

    /** Polls cond every 50 ms for at most WAIT_S seconds. */
    private static void eventually(Callable<Boolean> cond, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (System.nanoTime() < end) {
            if (Boolean.TRUE.equals(cond.call())) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + WAIT_S + " s waiting for " + what);
    }

    private void run(String name, Check body) {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "check-" + name);
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        try {
            Future<?> f = ex.submit(() -> {
                body.run();
                return null;
            });
            f.get(CHECK_DEADLINE_S, TimeUnit.SECONDS);
            passed++;
            System.out.printf("PASS %s (%d ms)%n", name, (System.nanoTime() - t0) / 1_000_000);
        } catch (TimeoutException e) {
            failed++;
            System.out.printf("FAIL %s: deadline of %d s exceeded%n", name, CHECK_DEADLINE_S);
        } catch (java.util.concurrent.ExecutionException e) {
            failed++;
            Throwable c = e.getCause();
            System.out.printf("FAIL %s: %s%n", name, c);
        } catch (Exception e) {
            failed++;
            System.out.printf("FAIL %s: %s%n", name, e);
        } finally {
            ex.shutdownNow();
        }
        System.out.flush();
    }

    // ----------------------------------------------------------------- checks

    private void crud(CuratorFramework c) throws Exception {
        String p = root + "/crud/a/b/c";
        String created = c.create().creatingParentsIfNeeded().forPath(p, b("one"));
        check(p.equals(created), "create returned " + created);
        check(c.checkExists().forPath(root + "/crud/a/b") != null, "parent created");
        Stat st = new Stat();
        check("one".equals(s(c.getData().storingStatIn(st).forPath(p))), "getData");
        check(st.getVersion() == 0 && st.getDataLength() == 3, "stat after create: " + st);
        Stat st2 = c.setData().withVersion(0).forPath(p, b("two"));
        check(st2.getVersion() == 1, "version after set: " + st2.getVersion());
        check(st2.getMzxid() > st2.getCzxid(), "mzxid > czxid");
        try {
            c.setData().withVersion(0).forPath(p, b("three"));
            throw new AssertionError("setData with stale version succeeded");
        } catch (KeeperException.BadVersionException expected) {
            // ok
        }
        try {
            c.delete().withVersion(7).forPath(p);
            throw new AssertionError("delete with wrong version succeeded");
        } catch (KeeperException.BadVersionException expected) {
            // ok
        }
        try {
            c.create().forPath(p);
            throw new AssertionError("duplicate create succeeded");
        } catch (KeeperException.NodeExistsException expected) {
            // ok
        }
        try {
            c.delete().forPath(root + "/crud/a");
            throw new AssertionError("delete of non-empty node succeeded");
        } catch (KeeperException.NotEmptyException expected) {
            // ok
        }
        try {
            c.getData().forPath(root + "/crud/missing");
            throw new AssertionError("getData of missing node succeeded");
        } catch (KeeperException.NoNodeException expected) {
            // ok
        }
        check("two".equals(s(c.getData().forPath(p))), "data after failed set");
        check(c.getChildren().forPath(root + "/crud/a/b").equals(Collections.singletonList("c")),
                "getChildren");
        c.delete().deletingChildrenIfNeeded().forPath(root + "/crud");
        check(c.checkExists().forPath(root + "/crud") == null, "deletingChildrenIfNeeded");
    }

    private void transaction(CuratorFramework c) throws Exception {
        String base = root + "/txn";
        c.create().creatingParentsIfNeeded().forPath(base, b("base"));
        CuratorOp create = c.transactionOp().create().forPath(base + "/x", b("x"));
        CuratorOp set = c.transactionOp().setData().withVersion(0).forPath(base, b("base2"));
        CuratorOp checkOp = c.transactionOp().check().withVersion(0).forPath(base + "/x");
        List<CuratorTransactionResult> res = c.transaction().forOperations(create, set, checkOp);
        check(res.size() == 3, "3 results");
        check(res.get(0).getType() == OperationType.CREATE
                && (base + "/x").equals(res.get(0).getResultPath()), "create result " + res.get(0));
        check(res.get(1).getType() == OperationType.SET_DATA && res.get(1).getResultStat() != null
                && res.get(1).getResultStat().getVersion() == 1, "setData result");
        check("base2".equals(s(c.getData().forPath(base))), "set applied");

        // Rollback: first op would succeed, second fails (node exists).
        CuratorOp okOp = c.transactionOp().create().forPath(base + "/y", b("y"));
        CuratorOp badOp = c.transactionOp().create().forPath(base + "/x", b("dup"));
        try {
            c.transaction().forOperations(okOp, badOp);
            throw new AssertionError("transaction with duplicate create succeeded");
        } catch (KeeperException.NodeExistsException expected) {
            // ok
        }
        check(c.checkExists().forPath(base + "/y") == null, "rolled back create is absent");
        // A failing check rolls back a delete.
        CuratorOp del = c.transactionOp().delete().forPath(base + "/x");
        CuratorOp badCheck = c.transactionOp().check().withVersion(42).forPath(base);
        try {
            c.transaction().forOperations(del, badCheck);
            throw new AssertionError("transaction with failing check succeeded");
        } catch (KeeperException.BadVersionException expected) {
            // ok
        }
        check(c.checkExists().forPath(base + "/x") != null, "rolled back delete kept node");
    }

    private void protectedEphemeralSequential(CuratorFramework c) throws Exception {
        String base = root + "/prot";
        String p = c.create().creatingParentsIfNeeded().withProtection()
                .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(base + "/node-", b("p"));
        String name = p.substring(p.lastIndexOf('/') + 1);
        check(name.startsWith("_c_"), "protected prefix in " + name);
        check(name.matches("_c_[0-9a-f-]{36}-node-\\d{10}"), "protected name format " + name);
        Stat st = c.checkExists().forPath(p);
        check(st != null, "node exists");
        long sid = c.getZookeeperClient().getZooKeeper().getSessionId();
        check(st.getEphemeralOwner() == sid, "ephemeralOwner " + st.getEphemeralOwner() + " != " + sid);
        String p2 = c.create().withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath(base + "/node-", b("q"));
        long n1 = Long.parseLong(p.substring(p.length() - 10));
        long n2 = Long.parseLong(p2.substring(p2.length() - 10));
        check(n2 > n1, "sequence increases: " + n1 + " then " + n2);
    }

    private void mutex() throws Exception {
        CuratorFramework c1 = newClient();
        CuratorFramework c2 = newClient();
        String path = root + "/mutex";
        InterProcessMutex m1 = new InterProcessMutex(c1, path);
        InterProcessMutex m2 = new InterProcessMutex(c2, path);
        check(m1.acquire(WAIT_S, TimeUnit.SECONDS), "client 1 acquires");
        check(m1.acquire(WAIT_S, TimeUnit.SECONDS), "client 1 re-enters");
        check(!m2.acquire(300, TimeUnit.MILLISECONDS), "client 2 must not acquire while held");
        m1.release();
        check(!m2.acquire(300, TimeUnit.MILLISECONDS), "still held after one release (re-entrant)");
        // InterProcessMutex is owned by the acquiring thread: acquire and
        // release client 2's lock in the same helper thread.
        CountDownLatch got = new CountDownLatch(1);
        CountDownLatch releaseNow = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        AtomicInteger heldByTwo = new AtomicInteger();
        Thread t = new Thread(() -> {
            try {
                if (m2.acquire(WAIT_S, TimeUnit.SECONDS)) {
                    heldByTwo.set(m2.isAcquiredInThisProcess() ? 1 : 0);
                    got.countDown();
                    releaseNow.await(WAIT_S, TimeUnit.SECONDS);
                    m2.release();
                    released.countDown();
                }
            } catch (Exception e) {
                // reported by the timeouts below
            }
        });
        t.setDaemon(true);
        t.start();
        Thread.sleep(100);
        m1.release();
        await(got, "client 2 to acquire after release");
        check(heldByTwo.get() == 1, "client 2 holds the lock");
        check(!m1.acquire(300, TimeUnit.MILLISECONDS), "client 1 must not acquire while client 2 holds it");
        releaseNow.countDown();
        await(released, "client 2 to release");
        t.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        check(c1.getChildren().forPath(path).isEmpty(), "lock nodes removed");
        c1.close();
        c2.close();
    }

    private void semaphore() throws Exception {
        CuratorFramework c1 = newClient();
        CuratorFramework c2 = newClient();
        String path = root + "/sem";
        InterProcessSemaphoreV2 s1 = new InterProcessSemaphoreV2(c1, path, 2);
        InterProcessSemaphoreV2 s2 = new InterProcessSemaphoreV2(c2, path, 2);
        Lease a = s1.acquire(WAIT_S, TimeUnit.SECONDS);
        Lease bb = s2.acquire(WAIT_S, TimeUnit.SECONDS);
        check(a != null && bb != null, "two leases granted");
        check(s2.acquire(300, TimeUnit.MILLISECONDS) == null, "third lease refused");
        s1.returnLease(a);
        Lease c = s2.acquire(WAIT_S, TimeUnit.SECONDS);
        check(c != null, "lease granted after return");
        s2.returnLease(bb);
        s2.returnLease(c);
        c1.close();
        c2.close();
    }

    private void leaderLatch() throws Exception {
        CuratorFramework c1 = newClient();
        CuratorFramework c2 = newClient();
        String path = root + "/latch";
        LeaderLatch l1 = new LeaderLatch(c1, path, "one");
        LeaderLatch l2 = new LeaderLatch(c2, path, "two");
        l1.start();
        l2.start();
        eventually(() -> l1.hasLeadership() || l2.hasLeadership(), "a leader");
        Thread.sleep(200);
        check(l1.hasLeadership() ^ l2.hasLeadership(), "exactly one leader");
        LeaderLatch leader = l1.hasLeadership() ? l1 : l2;
        LeaderLatch other = leader == l1 ? l2 : l1;
        check(other.getLeader().getId().equals(leader.getId()), "both agree on the leader id");
        leader.close();
        check(other.await(WAIT_S, TimeUnit.SECONDS), "failover to the other latch");
        check(other.hasLeadership(), "other has leadership");
        other.close();
        c1.close();
        c2.close();
    }

    private void leaderSelector() throws Exception {
        CuratorFramework c1 = newClient();
        CuratorFramework c2 = newClient();
        String path = root + "/selector";
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        CountDownLatch both = new CountDownLatch(2);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        List<LeaderSelector> selectors = new ArrayList<>();
        for (CuratorFramework c : new CuratorFramework[] {c1, c2}) {
            String id = c == c1 ? "one" : "two";
            LeaderSelector sel = new LeaderSelector(c, path, new LeaderSelectorListenerAdapter() {
                @Override
                public void takeLeadership(CuratorFramework client) throws Exception {
                    int now = concurrent.incrementAndGet();
                    maxConcurrent.accumulateAndGet(now, Math::max);
                    order.add(id);
                    Thread.sleep(200);
                    concurrent.decrementAndGet();
                    both.countDown();
                }
            });
            sel.setId(id);
            selectors.add(sel);
        }
        for (LeaderSelector sel : selectors) {
            sel.start();
        }
        await(both, "both selectors to take leadership once");
        check(maxConcurrent.get() == 1, "never two leaders at once");
        check(order.size() == 2 && !order.get(0).equals(order.get(1)), "each led once: " + order);
        for (LeaderSelector sel : selectors) {
            sel.close();
        }
        c1.close();
        c2.close();
    }

    private void atomicLong() throws Exception {
        CuratorFramework c1 = newClient();
        CuratorFramework c2 = newClient();
        String path = root + "/counter";
        final int perThread = 50;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<Integer>> fs = new ArrayList<>();
        for (CuratorFramework c : new CuratorFramework[] {c1, c2}) {
            fs.add(pool.submit(() -> {
                DistributedAtomicLong counter = new DistributedAtomicLong(c, path, new RetryNTimes(200, 5));
                int ok = 0;
                for (int i = 0; i < perThread; i++) {
                    AtomicValue<Long> v = counter.increment();
                    if (v.succeeded()) {
                        ok++;
                    }
                }
                return ok;
            }));
        }
        int ok = 0;
        for (Future<Integer> f : fs) {
            ok += f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        DistributedAtomicLong reader = new DistributedAtomicLong(c1, path, new RetryNTimes(3, 10));
        AtomicValue<Long> v = reader.get();
        check(v.succeeded(), "read succeeded");
        check(ok == 2 * perThread, "all increments reported success: " + ok);
        check(v.postValue() == 2L * perThread, "final value " + v.postValue());
        AtomicValue<Long> cas = reader.compareAndSet(2L * perThread, 7L);
        check(cas.succeeded() && reader.get().postValue() == 7L, "compareAndSet");
        check(!reader.compareAndSet(100L, 8L).succeeded(), "compareAndSet with wrong expected value fails");
        c1.close();
        c2.close();
    }

    private void curatorCache(CuratorFramework c) throws Exception {
        String base = root + "/ccache";
        c.create().creatingParentsIfNeeded().forPath(base, b("root"));
        c.create().forPath(base + "/pre", b("pre"));
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CountDownLatch initialized = new CountDownLatch(1);
        CuratorCache cache = CuratorCache.build(c, base);
        cache.listenable().addListener(new CuratorCacheListener() {
            @Override
            public void event(Type type, ChildData oldData, ChildData data) {
                ChildData d = data != null ? data : oldData;
                events.add(type + " " + d.getPath() + " " + s(d.getData()));
            }

            @Override
            public void initialized() {
                initialized.countDown();
            }
        });
        try {
            cache.start();
            await(initialized, "CuratorCache initialized");
            check(cache.get(base + "/pre").isPresent(), "initial node in cache");
            events.clear();
            c.create().forPath(base + "/a", b("1"));
            check(poll(events, "NODE_CREATED").equals("NODE_CREATED " + base + "/a 1"), "created event");
            c.setData().forPath(base + "/a", b("2"));
            check(poll(events, "NODE_CHANGED").equals("NODE_CHANGED " + base + "/a 2"), "changed event");
            c.create().forPath(base + "/a/deep", b("d"));
            check(poll(events, "NODE_CREATED deep").equals("NODE_CREATED " + base + "/a/deep d"),
                    "recursive created event");
            c.delete().forPath(base + "/a/deep");
            check(poll(events, "NODE_DELETED deep").equals("NODE_DELETED " + base + "/a/deep d"),
                    "recursive deleted event");
            c.delete().forPath(base + "/a");
            check(poll(events, "NODE_DELETED").equals("NODE_DELETED " + base + "/a 2"), "deleted event");
            eventually(() -> !cache.get(base + "/a").isPresent(), "cache to drop deleted node");
        } finally {
            cache.close();
        }
    }

    @SuppressWarnings("deprecation") // PathChildrenCache is deprecated in Curator 5 but still used
    private void pathChildrenCache(CuratorFramework c) throws Exception {
        String base = root + "/pcache";
        c.create().creatingParentsIfNeeded().forPath(base);
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        PathChildrenCache cache = new PathChildrenCache(c, base, true);
        cache.getListenable().addListener((client, ev) -> {
            ChildData d = ev.getData();
            events.add(ev.getType() + (d == null ? "" : " " + d.getPath() + " " + s(d.getData())));
        });
        try {
            cache.start(PathChildrenCache.StartMode.POST_INITIALIZED_EVENT);
            check(poll(events, "INITIALIZED").equals(PathChildrenCacheEvent.Type.INITIALIZED.toString()),
                    "initialized event");
            c.create().forPath(base + "/k", b("v1"));
            check(poll(events, "CHILD_ADDED").equals("CHILD_ADDED " + base + "/k v1"), "added");
            c.setData().forPath(base + "/k", b("v2"));
            check(poll(events, "CHILD_UPDATED").equals("CHILD_UPDATED " + base + "/k v2"), "updated");
            c.delete().forPath(base + "/k");
            check(poll(events, "CHILD_REMOVED").startsWith("CHILD_REMOVED " + base + "/k"), "removed");
            check(cache.getCurrentData().isEmpty(), "cache empty");
        } finally {
            cache.close();
        }
    }

    private void oneShotWatch(CuratorFramework c) throws Exception {
        String p = root + "/watch";
        c.create().creatingParentsIfNeeded().forPath(p, b("w"));
        BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
        Watcher w = events::add;
        c.getData().usingWatcher(w).forPath(p);
        c.getChildren().usingWatcher(w).forPath(p);
        c.setData().forPath(p, b("w2"));
        WatchedEvent e = poll(events, "NodeDataChanged");
        check(e.getType() == Watcher.Event.EventType.NodeDataChanged && p.equals(e.getPath()),
                "data watch " + e);
        c.create().forPath(p + "/kid");
        e = poll(events, "NodeChildrenChanged");
        check(e.getType() == Watcher.Event.EventType.NodeChildrenChanged && p.equals(e.getPath()),
                "child watch " + e);
        c.setData().forPath(p, b("w3"));
        Thread.sleep(200);
        check(events.isEmpty(), "watches are one-shot, got " + events);
        c.checkExists().usingWatcher(w).forPath(p + "/later");
        c.create().forPath(p + "/later");
        e = poll(events, "NodeCreated");
        check(e.getType() == Watcher.Event.EventType.NodeCreated, "exists watch " + e);
    }

    private void queue() throws Exception {
        CuratorFramework producerClient = newClient();
        CuratorFramework consumerClient = newClient();
        String path = root + "/queue";
        QueueSerializer<String> ser = new QueueSerializer<String>() {
            @Override
            public byte[] serialize(String item) {
                return b(item);
            }

            @Override
            public String deserialize(byte[] bytes) {
                return s(bytes);
            }
        };
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        QueueConsumer<String> consumer = new QueueConsumer<String>() {
            @Override
            public void consumeMessage(String message) {
                received.add(message);
            }

            @Override
            public void stateChanged(CuratorFramework client, ConnectionState newState) {
                // nothing
            }
        };
        DistributedQueue<String> producer = QueueBuilder.builder(producerClient, null, ser, path).buildQueue();
        DistributedQueue<String> cons = QueueBuilder.builder(consumerClient, consumer, ser, path).buildQueue();
        producer.start();
        cons.start();
        try {
            final int n = 10;
            for (int i = 0; i < n; i++) {
                producer.put("item-" + i);
            }
            List<String> got = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                got.add(poll(received, "queue item " + i));
            }
            for (int i = 0; i < n; i++) {
                check(got.get(i).equals("item-" + i), "FIFO order: " + got);
            }
            eventually(() -> producerClient.getChildren().forPath(path).isEmpty(), "queue nodes consumed");
        } finally {
            closeQuietly(cons);
            closeQuietly(producer);
        }
        producerClient.close();
        consumerClient.close();
    }

    private void doubleBarrier() throws Exception {
        CuratorFramework c1 = newClient();
        CuratorFramework c2 = newClient();
        String path = root + "/dbarrier";
        ExecutorService pool = Executors.newFixedThreadPool(2);
        AtomicInteger inside = new AtomicInteger();
        List<Future<Boolean>> fs = new ArrayList<>();
        for (CuratorFramework c : new CuratorFramework[] {c1, c2}) {
            fs.add(pool.submit(() -> {
                DistributedDoubleBarrier bar = new DistributedDoubleBarrier(c, path, 2);
                if (!bar.enter(WAIT_S, TimeUnit.SECONDS)) {
                    return false;
                }
                inside.incrementAndGet();
                return bar.leave(WAIT_S, TimeUnit.SECONDS);
            }));
        }
        for (Future<Boolean> f : fs) {
            check(f.get(30, TimeUnit.SECONDS), "enter+leave within deadline");
        }
        pool.shutdownNow();
        check(inside.get() == 2, "both members entered");
        // A lone member must time out on enter.
        DistributedDoubleBarrier lone = new DistributedDoubleBarrier(c1, root + "/dbarrier2", 2);
        check(!lone.enter(300, TimeUnit.MILLISECONDS), "single member cannot pass a 2-member barrier");
        c1.close();
        c2.close();
    }

    private void persistentNode() throws Exception {
        CuratorFramework c1 = newClient();
        CuratorFramework observer = newClient();
        String p = root + "/pnode/me";
        PersistentNode node = new PersistentNode(c1, CreateMode.EPHEMERAL, false, p, b("alive"));
        node.start();
        check(node.waitForInitialCreate(WAIT_S, TimeUnit.SECONDS), "initial create");
        Stat st = observer.checkExists().forPath(p);
        check(st != null, "node exists");
        check(st.getEphemeralOwner() == c1.getZookeeperClient().getZooKeeper().getSessionId(),
                "ephemeralOwner is the session id");
        node.setData(b("changed"));
        eventually(() -> "changed".equals(s(observer.getData().forPath(p))), "setData to propagate");
        // Deleted by someone else -> recreated.
        observer.delete().forPath(p);
        eventually(() -> observer.checkExists().forPath(p) != null, "PersistentNode to recreate the node");
        node.close();
        eventually(() -> observer.checkExists().forPath(p) == null, "node gone after close");
        c1.close();
        observer.close();
    }

    private void ephemeralRemovedOnClose(CuratorFramework c) throws Exception {
        CuratorFramework other = newClient();
        String p = root + "/eph/node";
        other.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(p, b("e"));
        check(c.checkExists().forPath(p) != null, "ephemeral visible to another session");
        BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
        c.checkExists().usingWatcher((Watcher) events::add).forPath(p);
        other.close();
        WatchedEvent e = poll(events, "NodeDeleted after session close");
        check(e.getType() == Watcher.Event.EventType.NodeDeleted, "event " + e);
        check(c.checkExists().forPath(p) == null, "ephemeral removed on close");
        try {
            c.create().withMode(CreateMode.EPHEMERAL).forPath(root + "/eph/x/child");
            throw new AssertionError("ephemeral under a missing parent succeeded");
        } catch (KeeperException.NoNodeException expected) {
            // ok
        }
        c.create().withMode(CreateMode.EPHEMERAL).forPath(root + "/eph/e2");
        try {
            c.create().forPath(root + "/eph/e2/child");
            throw new AssertionError("child of an ephemeral succeeded");
        } catch (KeeperException.NoChildrenForEphemeralsException expected) {
            // ok
        }
    }

    // ------------------------------------------------------------------- main

    private int runAll() throws Exception {
        CuratorFramework main;
        try {
            main = newClient();
        } catch (Throwable e) {
            System.out.println("FAIL connect: " + e);
            System.out.println("0 passed, 1 failed");
            return 1;
        }
        CuratorFramework c = main;
        run("crud_creatingParents_badVersion", () -> crud(c));
        run("transaction_multi_rollback", () -> transaction(c));
        run("protected_ephemeral_sequential", () -> protectedEphemeralSequential(c));
        run("interprocess_mutex_two_clients", this::mutex);
        run("interprocess_semaphore_v2", this::semaphore);
        run("leader_latch_failover", this::leaderLatch);
        run("leader_selector", this::leaderSelector);
        run("distributed_atomic_long_concurrent", this::atomicLong);
        run("curator_cache_persistent_recursive", () -> curatorCache(c));
        run("path_children_cache", () -> pathChildrenCache(c));
        run("one_shot_watches", () -> oneShotWatch(c));
        run("distributed_queue", this::queue);
        run("distributed_double_barrier", this::doubleBarrier);
        run("persistent_node_ephemeral", this::persistentNode);
        run("ephemeral_removed_on_close", () -> ephemeralRemovedOnClose(c));

        try {
            c.delete().guaranteed().deletingChildrenIfNeeded().forPath(root);
        } catch (Exception e) {
            System.out.println("note: cleanup of " + root + " failed: " + e);
        }
        for (CuratorFramework cl : new ArrayList<>(clients)) {
            closeQuietly(cl);
        }
        System.out.printf("%d passed, %d failed%n", passed, failed);
        return failed == 0 ? 0 : 1;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: CuratorCheck HOST:PORT[,HOST:PORT...]");
            System.exit(2);
        }
        int rc = new CuratorCheck(args[0]).runAll();
        System.out.flush();
        System.exit(rc);
    }
}

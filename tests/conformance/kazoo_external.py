"""pytest plugin: run kazoo's own test-suite against an external server.

Loaded with ``-p kazoo_external`` (``tests/conformance`` on PYTHONPATH) while
running ``pytest --pyargs kazoo.tests`` (kazoo 2.11.0).

Environment:
  KAZOO_EXTERNAL   comma-separated ``host:port`` list of already running
                   ZooKeeper-compatible servers.  kazoo's harness
                   (``kazoo.testing.harness.get_global_cluster``) is replaced by a
                   cluster of these servers: start/terminate are no-ops, and a
                   test that tries to stop a server is skipped.
  KAZOO_MODE       ``external`` (default when KAZOO_EXTERNAL is set) or
                   ``managed``: kazoo's harness starts its servers itself
                   (through the ``java`` shim on PATH); only the tests that need
                   something this machine lacks are skipped.

Tests that cannot run against one external server are skipped with the
reason below (listed explicitly, never by pattern).  gevent/eventlet handler
variants and SASL tests also skip themselves when their optional Python
packages (gevent, eventlet, pure-sasl) are absent.
"""

import os

import pytest

# (defining class "module.Class" or None for a whole module, test name or None
#  for the whole class/module, reason).  A rule on a class also matches the
#  subclasses that kazoo's gevent/eventlet modules derive from it.
EXTERNAL_SKIPS = [
    (
        "kazoo.tests.test_client.TestClient",
        "test_update_host_list",
        "stops cluster[0] and needs a second server to fail over to "
        "(server control + ensemble)",
    ),
    (
        "kazoo.tests.test_client.TestClient",
        "test_request_queuing_session_recovered",
        "stops and restarts the server; the session must survive the "
        "restart (server control)",
    ),
    (
        "kazoo.tests.test_client.TestClient",
        "test_request_queuing_session_expired",
        "stops and restarts the server (server control)",
    ),
    (
        "kazoo.tests.test_client.TestSSLClient",
        None,
        "needs the harness's TLS port (secureClientPort, Netty, JKS keystore)",
    ),
    (
        "kazoo.tests.test_client.TestReconfig",
        None,
        "needs a 3-node ensemble with reconfigEnabled=true and the harness's "
        "superDigest (dynamic reconfig)",
    ),
    (
        "kazoo.tests.test_connection.TestReadOnlyMode",
        None,
        "needs a 3-node ensemble, stops 2 nodes and read-only mode "
        "(-Dreadonlymode.enabled=true)",
    ),
    (
        "kazoo.tests.test_sasl",
        None,
        "needs a server started with a JAAS config (SASL digest/GSSAPI) and "
        "pure-sasl",
    ),
    (
        "kazoo.tests.test_build",
        None,
        "upstream-CI-only check of ZOOKEEPER_VERSION against the server",
    ),
]

# In managed mode the harness controls the servers; only what this machine
# cannot provide is skipped.
MANAGED_SKIPS = [
    (
        "kazoo.tests.test_build",
        None,
        "upstream-CI-only check of ZOOKEEPER_VERSION against the server",
    ),
]


def _mode():
    mode = os.environ.get("KAZOO_MODE")
    if mode:
        return mode
    return "external" if os.environ.get("KAZOO_EXTERNAL") else "managed"


class _ExternalServer(object):
    """Stands in for kazoo.testing.common.ManagedZooKeeper."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host = host
        self._port = int(port)
        self.server_info = None

    @property
    def address(self):
        return "%s:%s" % (self.host, self._port)

    @property
    def secure_address(self):
        pytest.skip("external server: no TLS port")

    @property
    def client_port(self):
        return self._port

    @property
    def secure_client_port(self):
        pytest.skip("external server: no TLS port")

    @property
    def running(self):
        return True

    def run(self):
        pass

    def stop(self):
        pytest.skip("external server: the test needs to stop a server")

    def reset(self):
        pytest.skip("external server: the test needs to wipe a server")

    def destroy(self):
        pass

    def get_logs(self, num_lines=100):
        return []


class _ExternalCluster(object):
    """Stands in for kazoo.testing.common.ZookeeperCluster."""

    def __init__(self, addresses):
        self._servers = [_ExternalServer(a) for a in addresses]

    def __getitem__(self, k):
        return self._servers[k]

    def __iter__(self):
        return iter(self._servers)

    def __len__(self):
        return len(self._servers)

    def start(self):
        pass

    def stop(self):
        pass

    def terminate(self):
        pass

    def reset(self):
        pytest.skip("external server: the test needs to wipe the cluster")

    def get_logs(self):
        return []

    def get_ssl_client_configuration(self):
        pytest.skip("external server: no TLS configuration")


_CLUSTER = None


def _get_external_cluster():
    return _CLUSTER


def pytest_configure(config):
    global _CLUSTER
    if _mode() != "external":
        return
    raw = os.environ.get("KAZOO_EXTERNAL", "")
    addresses = [a.strip() for a in raw.split(",") if a.strip()]
    if not addresses:
        raise pytest.UsageError(
            "kazoo_external: KAZOO_EXTERNAL must list host:port addresses"
        )
    _CLUSTER = _ExternalCluster(addresses)

    import kazoo.testing.harness as harness

    # KazooTestHarness.cluster and KazooTestCase.tearDownClass look the
    # function up in the module's globals at call time.
    harness.get_global_cluster = _get_external_cluster


def _rule_matches(item, target, test_name):
    if test_name is not None and getattr(item, "originalname", item.name) != (
        test_name
    ):
        return False
    module = getattr(item, "module", None)
    cls = getattr(item, "cls", None)
    if "." in target and target.rsplit(".", 1)[1][:1].isupper():
        if cls is None:
            return False
        for c in cls.__mro__:
            if "%s.%s" % (c.__module__, c.__qualname__) == target:
                return True
        return False
    return module is not None and module.__name__ == target


def pytest_collection_modifyitems(config, items):
    rules = EXTERNAL_SKIPS if _mode() == "external" else MANAGED_SKIPS
    for item in items:
        for target, test_name, reason in rules:
            if _rule_matches(item, target, test_name):
                item.add_marker(pytest.mark.skip(reason="conformance: " + reason))
                break


def pytest_report_header(config):
    mode = _mode()
    if mode == "external":
        return "kazoo_external: external servers %s" % os.environ.get(
            "KAZOO_EXTERNAL"
        )
    return "kazoo_external: managed mode (harness starts servers via `java` on PATH)"

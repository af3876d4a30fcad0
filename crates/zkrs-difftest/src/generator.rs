//! [`Generator`]: the seeded op sequence.
//!
//! The sequence depends on the seed and the options only, never on server replies, so both
//! servers receive exactly the same steps. Paths come from a small space under the seed's root
//! (`/d<seed>`) so that collisions, version conflicts, NONODE, NODEEXISTS, NOTEMPTY and
//! NOCHILDRENFOREPHEMERALS are frequent.

use bytes::Bytes;
use zkrs_jute::{
    perms, Acl, AddWatchRequest, AuthPacket, CheckVersionRequest, CheckWatchesRequest,
    CreateRequest, CreateTtlRequest, DeleteContainerRequest, DeleteRequest, ExistsRequest,
    GetAclRequest, GetAllChildrenNumberRequest, GetChildren2Request, GetChildrenRequest,
    GetDataRequest, GetEphemeralsRequest, MultiOp, MultiRequest, ReconfigRequest,
    RemoveWatchesRequest, Request, SetAclRequest, SetDataRequest, SetWatches2, SyncRequest,
};

use crate::rng::SplitMix64;
use crate::step::{Action, Step, LAST_CREATED};

/// Digest ids for `u1:p1` and `u2:p2` (`user:base64(sha1("user:password"))`).
pub const DIGEST_U1: &str = "u1:fpT/y03U+EjItKZOSLGvjnJlyng=";
pub const DIGEST_U2: &str = "u2:o9NxcCGDPOlcV7JVhmKHOf5ctVE=";

/// A TTL far longer than any run, so the container manager could never expire a TTL node.
const LONG_TTL: i64 = 3_600_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// Random ops (setup and teardown steps come on top).
    pub ops: usize,
    /// Session slots used concurrently.
    pub sessions: usize,
    /// Generate createTTL and TTL flags (needs `extendedTypesEnabled=true` on both servers).
    pub ttl: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            ops: 2000,
            sessions: 4,
            ttl: true,
        }
    }
}

/// The generated program for one seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub seed: u64,
    pub root: String,
    pub sessions: usize,
    pub steps: Vec<Step>,
    /// How many of `steps` are random ops (the rest are setup/teardown).
    pub random_ops: usize,
}

/// Builds the [`Program`] for a seed.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: SplitMix64,
    cfg: GenConfig,
    root: String,
    open: Vec<bool>,
}

impl Generator {
    /// A generator for `seed`.
    pub fn new(seed: u64, cfg: GenConfig) -> Self {
        let sessions = cfg.sessions.max(1);
        Generator {
            rng: SplitMix64::new(seed ^ 0x005e_ed0f_d1ff),
            cfg: GenConfig { sessions, ..cfg },
            root: format!("/d{seed}"),
            open: vec![false; sessions],
        }
    }

    /// The whole program: open slot 0, create the root, open the other slots, the random ops,
    /// then close every open slot.
    pub fn program(mut self, seed: u64) -> Program {
        let mut steps = Vec::with_capacity(self.cfg.ops + 2 * self.cfg.sessions + 1);
        steps.push(Step {
            slot: 0,
            action: Action::Open,
        });
        self.open[0] = true;
        steps.push(Step {
            slot: 0,
            action: Action::Send(Request::Create(CreateRequest {
                path: self.root.clone(),
                data: Some(Bytes::from_static(b"root")),
                acl: perms::open_acl_unsafe(),
                flags: 0,
            })),
        });
        for slot in 1..self.cfg.sessions {
            steps.push(Step {
                slot,
                action: Action::Open,
            });
            self.open[slot] = true;
        }
        for _ in 0..self.cfg.ops {
            let slot = self.rng.index(self.cfg.sessions);
            let action = if self.open[slot] {
                self.action(slot)
            } else {
                self.open[slot] = true;
                Action::Open
            };
            steps.push(Step { slot, action });
        }
        for slot in 0..self.cfg.sessions {
            if self.open[slot] {
                steps.push(Step {
                    slot,
                    action: Action::Close,
                });
            }
        }
        Program {
            seed,
            root: self.root,
            sessions: self.cfg.sessions,
            steps,
            random_ops: self.cfg.ops,
        }
    }

    fn action(&mut self, slot: usize) -> Action {
        // Relative weights of the action kinds.
        const W: &[u32] = &[
            26, // 0 create family
            8,  // 1 delete
            6,  // 2 exists
            7,  // 3 getData
            5,  // 4 getChildren
            4,  // 5 getChildren2
            9,  // 6 setData
            3,  // 7 getACL
            4,  // 8 setACL
            2,  // 9 addAuth
            8,  // 10 multi
            3,  // 11 multiRead
            1,  // 12 sync
            2,  // 13 getAllChildrenNumber
            2,  // 14 getEphemerals
            3,  // 15 addWatch
            2,  // 16 removeWatches
            2,  // 17 checkWatches
            1,  // 18 whoAmI
            1,  // 19 close
            1,  // 20 reconnect + setWatches2
            1,  // 21 rare: reconfig / deleteContainer
        ];
        let req = match self.rng.weighted(W) {
            0 => self.create(),
            1 => Request::Delete(DeleteRequest {
                path: self.node_path(),
                version: self.version(),
            }),
            2 => Request::Exists(ExistsRequest {
                path: self.read_path(),
                watch: self.rng.percent(50),
            }),
            3 => Request::GetData(GetDataRequest {
                path: self.read_path(),
                watch: self.rng.percent(50),
            }),
            4 => Request::GetChildren(GetChildrenRequest {
                path: self.read_path(),
                watch: self.rng.percent(50),
            }),
            5 => Request::GetChildren2(GetChildren2Request {
                path: self.read_path(),
                watch: self.rng.percent(50),
            }),
            6 => Request::SetData(SetDataRequest {
                path: self.node_path(),
                data: self.data(),
                version: self.version(),
            }),
            7 => Request::GetAcl(GetAclRequest {
                path: self.read_path(),
            }),
            8 => {
                // Only strictly below the seed's root (or the placeholder, which resolves to
                // a created node): a restrictive ACL on the root, on "/" or on /zookeeper would
                // stall this run and every later seed on the same servers.
                let mut path = self.node_path();
                if path != LAST_CREATED && !path.starts_with(&format!("{}/", self.root)) {
                    path = format!("{}/a", self.root);
                }
                Request::SetAcl(SetAclRequest {
                    path,
                    acl: self.acl(true),
                    version: self.version(),
                })
            }
            9 => return self.add_auth(slot),
            10 => Request::Multi(self.multi()),
            11 => Request::MultiRead(self.multi_read()),
            12 => Request::Sync(SyncRequest {
                path: self.read_path(),
            }),
            13 => Request::GetAllChildrenNumber(GetAllChildrenNumberRequest {
                path: self.read_path(),
            }),
            14 => Request::GetEphemerals(GetEphemeralsRequest {
                prefix_path: self
                    .rng
                    .pick(&[
                        self.root.clone(),
                        format!("{}/a", self.root),
                        "/".to_string(),
                        String::new(),
                        format!("{}/e", self.root),
                    ])
                    .clone(),
            }),
            15 => Request::AddWatch(AddWatchRequest {
                path: self.read_path(),
                mode: i32::from(self.rng.percent(50)),
            }),
            16 => Request::RemoveWatches(RemoveWatchesRequest {
                path: self.read_path(),
                r#type: 1 + self.rng.below(3) as i32,
            }),
            17 => Request::CheckWatches(CheckWatchesRequest {
                path: self.read_path(),
                r#type: 1 + self.rng.below(3) as i32,
            }),
            18 => Request::WhoAmI,
            19 => {
                self.open[slot] = false;
                return Action::Close;
            }
            20 => return self.reconnect(),
            _ => {
                if self.rng.percent(50) {
                    Request::Reconfig(ReconfigRequest {
                        joining_servers: None,
                        leaving_servers: Some("1".to_string()),
                        new_members: None,
                        cur_config_id: -1,
                    })
                } else {
                    Request::DeleteContainer(DeleteContainerRequest {
                        path: self.node_path(),
                    })
                }
            }
        };
        Action::Send(req)
    }

    /// An existing-or-not node path under the root (the common case for writes).
    fn node_path(&mut self) -> String {
        let r = &self.root;
        let roll = self.rng.below(100);
        if roll < 12 {
            return LAST_CREATED.to_string();
        }
        if roll < 14 {
            // Malformed paths: BADARGUMENTS (or NONODE) on every op.
            return self
                .rng
                .pick(&[
                    format!("{r}/"),
                    format!("{r}//a"),
                    "rel".to_string(),
                    format!("{r}/./a"),
                    format!("{r}/a/.."),
                    String::new(),
                    "/".to_string(),
                    "/zookeeper".to_string(),
                ])
                .clone();
        }
        // Shallow nodes are likelier, so that deeper creates often find their parent.
        let depth = self.rng.weighted(&[6, 40, 30, 10, 14]);
        match depth {
            0 => r.clone(),
            1 => format!("{r}/{}", self.rng.pick(&["a", "a", "b", "b", "c"])),
            2 => format!(
                "{r}/{}",
                self.rng.pick(&["a/x", "a/y", "b/x", "a/x", "c/x"])
            ),
            3 => format!("{r}/{}", self.rng.pick(&["a/x/z", "b/x/z"])),
            _ => format!("{r}/{}", self.rng.pick(&["e", "a/e", "e/child"])),
        }
    }

    /// A path for reads and watches: node paths plus a few outside the root.
    fn read_path(&mut self) -> String {
        if self.rng.percent(4) {
            return self
                .rng
                .pick(&[
                    "/".to_string(),
                    "/zookeeper".to_string(),
                    "/zookeeper/config".to_string(),
                    "/zookeeper/quota".to_string(),
                    format!("{}/missing/deeper", self.root),
                ])
                .clone();
        }
        self.node_path()
    }

    fn data(&mut self) -> Option<Bytes> {
        match self.rng.below(10) {
            0 => None,
            1 => Some(Bytes::new()),
            2 | 3 => Some(Bytes::from_static(b"x")),
            4 => Some(Bytes::from_static(b"hello")),
            5 => Some(Bytes::from_static(b"0123456789")),
            _ => {
                let n = 1 + self.rng.index(16);
                Some((0..n).map(|_| self.rng.below(256) as u8).collect())
            }
        }
    }

    fn version(&mut self) -> i32 {
        match self.rng.below(20) {
            0..=7 => -1,
            8..=12 => 0,
            13..=15 => 1,
            16..=17 => 2,
            18 => self.rng.below(10) as i32,
            _ => -2,
        }
    }

    /// An ACL list; `setacl` makes the unusual ones more likely.
    fn acl(&mut self, setacl: bool) -> Vec<Acl> {
        let open_pct = if setacl { 35 } else { 80 };
        if self.rng.percent(open_pct) {
            return perms::open_acl_unsafe();
        }
        let all = perms::ALL;
        match self.rng.below(17) {
            0 => perms::creator_all_acl(),
            1 => perms::read_acl_unsafe(),
            2 => vec![Acl::new(all, "digest", DIGEST_U1)],
            3 => vec![
                Acl::new(perms::READ | perms::WRITE, "digest", DIGEST_U2),
                Acl::new(perms::READ, "world", "anyone"),
            ],
            4 => vec![Acl::new(all, "ip", "127.0.0.1")],
            5 => vec![Acl::new(all, "ip", "127.0.0.0/8")],
            6 => vec![Acl::new(all, "ip", "10.0.0.0/8")],
            7 => vec![Acl::new(all, "ip", "127.0.0.1/33")],
            8 => Vec::new(),
            9 => vec![Acl::new(all, "world", "bogus")],
            10 => vec![Acl::new(all, "digest", "u1")],
            11 => vec![Acl::new(all, "foo", "bar")],
            12 => vec![Acl::new(0, "world", "anyone")],
            13 => vec![
                Acl::new(all, "world", "anyone"),
                Acl::new(perms::ADMIN, "digest", DIGEST_U1),
                Acl::new(all, "world", "anyone"),
            ],
            14 => vec![
                Acl::new(
                    perms::READ | perms::CREATE | perms::DELETE,
                    "ip",
                    "127.0.0.1",
                ),
                Acl::new(perms::ADMIN, "auth", ""),
            ],
            15 => vec![Acl::new(all, "ip", "0:0:0:0:0:0:0:1")],
            _ => vec![Acl::new(perms::CREATE | perms::DELETE, "world", "anyone")],
        }
    }

    fn create_request(&mut self) -> (u8, CreateRequest, i64) {
        let seq = self.rng.percent(25);
        let path = if seq {
            let r = &self.root;
            self.rng
                .pick(&[
                    format!("{r}/q-"),
                    format!("{r}/a/q-"),
                    format!("{r}/"),
                    format!("{r}/e/q-"),
                ])
                .clone()
        } else {
            self.node_path()
        };
        // kind: 0 create, 1 create2, 2 createContainer, 3 createTTL
        let kind = self
            .rng
            .weighted(&[8, 6, 3, if self.cfg.ttl { 3 } else { 0 }]) as u8;
        let ephemeral = self.rng.percent(20);
        let mut flags = match kind {
            2 => 4,
            3 => {
                if seq {
                    6
                } else {
                    5
                }
            }
            _ => i32::from(ephemeral) | if seq { 2 } else { 0 },
        };
        if self.rng.percent(3) {
            // Mismatched or invalid flags for the opcode.
            flags = *self.rng.pick(&[-1, 4, 5, 6, 7, 100]);
        }
        let ttl = if self.rng.percent(5) {
            *self.rng.pick(&[0, -5, 0x00FF_FFFF_FFFF + 1])
        } else {
            LONG_TTL
        };
        let req = CreateRequest {
            path,
            data: self.data(),
            acl: self.acl(false),
            flags,
        };
        (kind, req, ttl)
    }

    fn create(&mut self) -> Request {
        let (kind, r, ttl) = self.create_request();
        match kind {
            0 => Request::Create(r),
            1 => Request::Create2(r),
            2 => Request::CreateContainer(r),
            _ => Request::CreateTtl(CreateTtlRequest {
                path: r.path,
                data: r.data,
                acl: r.acl,
                flags: r.flags,
                ttl,
            }),
        }
    }

    fn multi(&mut self) -> MultiRequest {
        if self.rng.percent(35) {
            return self.friendly_multi();
        }
        // 1..=4 ops; now and then an empty multi, which is legal.
        let n = if self.rng.percent(4) {
            0
        } else {
            1 + self.rng.index(4)
        };
        let mut ops = Vec::with_capacity(n);
        for _ in 0..n {
            let op = match self.rng.below(10) {
                0..=3 => {
                    let (kind, r, ttl) = self.create_request();
                    match kind {
                        0 => MultiOp::Create(r),
                        1 => MultiOp::Create2(r),
                        2 => MultiOp::CreateContainer(r),
                        _ => MultiOp::CreateTtl(CreateTtlRequest {
                            path: r.path,
                            data: r.data,
                            acl: r.acl,
                            flags: r.flags,
                            ttl,
                        }),
                    }
                }
                4 | 5 => MultiOp::Delete(DeleteRequest {
                    path: self.node_path(),
                    version: self.version(),
                }),
                6 | 7 => MultiOp::SetData(SetDataRequest {
                    path: self.node_path(),
                    data: self.data(),
                    version: self.version(),
                }),
                _ => MultiOp::Check(CheckVersionRequest {
                    path: self.node_path(),
                    version: self.version(),
                }),
            };
            ops.push(op);
        }
        MultiRequest { ops }
    }

    /// A multi that usually succeeds: sequential creates under the root, unconditional
    /// setData/check on the root, deletes of the last created node.
    fn friendly_multi(&mut self) -> MultiRequest {
        let r = self.root.clone();
        let n = 1 + self.rng.index(4);
        let ops = (0..n)
            .map(|_| match self.rng.below(6) {
                0 | 1 => {
                    let req = CreateRequest {
                        path: format!("{r}/m-"),
                        data: self.data(),
                        acl: perms::open_acl_unsafe(),
                        flags: if self.rng.percent(25) { 3 } else { 2 },
                    };
                    if self.rng.percent(50) {
                        MultiOp::Create(req)
                    } else {
                        MultiOp::Create2(req)
                    }
                }
                2 => MultiOp::SetData(SetDataRequest {
                    path: r.clone(),
                    data: self.data(),
                    version: -1,
                }),
                3 => MultiOp::Check(CheckVersionRequest {
                    path: r.clone(),
                    version: -1,
                }),
                4 => MultiOp::Delete(DeleteRequest {
                    path: LAST_CREATED.to_string(),
                    version: -1,
                }),
                _ => MultiOp::SetData(SetDataRequest {
                    path: LAST_CREATED.to_string(),
                    data: self.data(),
                    version: -1,
                }),
            })
            .collect();
        MultiRequest { ops }
    }

    fn multi_read(&mut self) -> MultiRequest {
        let n = 1 + self.rng.index(4);
        let ops = (0..n)
            .map(|_| {
                if self.rng.percent(50) {
                    MultiOp::GetData(GetDataRequest {
                        path: self.read_path(),
                        watch: self.rng.percent(30),
                    })
                } else {
                    MultiOp::GetChildren(GetChildrenRequest {
                        path: self.read_path(),
                        watch: self.rng.percent(30),
                    })
                }
            })
            .collect();
        MultiRequest { ops }
    }

    fn add_auth(&mut self, slot: usize) -> Action {
        let (scheme, cred): (&str, &[u8]) = match self.rng.below(20) {
            0..=8 => ("digest", b"u1:p1"),
            9..=14 => ("digest", b"u2:p2"),
            15..=16 => ("digest", b"u1:bad"),
            // The ip provider accepts any auth packet and adds the client's address.
            17 => ("ip", b"10.1.2.3"),
            // AUTHFAILED: the server closes the connection; the driver then reattaches the
            // session and closes it, so the slot ends up closed.
            _ => ("nosuchscheme", b"x"),
        };
        if scheme == "nosuchscheme" {
            self.open[slot] = false;
        }
        Action::Send(Request::Auth(AuthPacket {
            r#type: 0,
            scheme: scheme.to_string(),
            auth: Bytes::copy_from_slice(cred),
        }))
    }

    fn watch_list(&mut self) -> Vec<String> {
        let n = self.rng.index(3);
        (0..n).map(|_| self.node_path()).collect()
    }

    fn reconnect(&mut self) -> Action {
        let watches = SetWatches2 {
            relative_zxid: 0, // filled in by the driver
            data_watches: self.watch_list(),
            exist_watches: self.watch_list(),
            child_watches: self.watch_list(),
            persistent_watches: if self.rng.percent(30) {
                self.watch_list()
            } else {
                Vec::new()
            },
            persistent_recursive_watches: if self.rng.percent(30) {
                self.watch_list()
            } else {
                Vec::new()
            },
        };
        let zxid_back = *self.rng.pick(&[0, 0, 1, 3, 10, 50]);
        Action::Reconnect { watches, zxid_back }
    }
}

/// The program for `seed` with `cfg`.
pub fn program(seed: u64, cfg: GenConfig) -> Program {
    Generator::new(seed, cfg).program(seed)
}

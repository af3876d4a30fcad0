//! [`Host`]: what the scripts learn from `hostname`, `whoami` and `id`, read from the kernel
//! and from `/etc/hosts`, `/etc/passwd` and `/etc/group` (an image without a shell has no
//! `hostname` binary and often no NSS beyond those files).

use std::path::Path;

/// The host's names and the user the process runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// `gethostname()` (bash's `$HOSTNAME`).
    pub hostname: String,
    /// The canonical name from `/etc/hosts` (what `hostname -f` resolves), when listed.
    pub canonical: Option<String>,
}

/// A user of `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

impl Host {
    /// The running host.
    pub fn current() -> Host {
        let hostname = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned();
        let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        Host::from_parts(&hostname, &hosts)
    }

    /// A host named `hostname` with `hosts` as its `/etc/hosts` (tests).
    pub fn from_parts(hostname: &str, hosts: &str) -> Host {
        Host {
            hostname: hostname.to_owned(),
            canonical: canonical_name(hostname, hosts),
        }
    }

    /// `hostname -s`: the name up to its first dot.
    pub fn short(&self) -> &str {
        self.hostname.split('.').next().unwrap_or("")
    }

    /// `hostname -d`: the DNS domain, the part of the canonical name after its first dot
    /// (Kubernetes writes `IP <pod>.<svc>.<ns>.svc.<domain> <pod>` into a StatefulSet pod's
    /// `/etc/hosts`); empty when the name has none.
    pub fn domain(&self) -> &str {
        let fqdn = self.canonical.as_deref().unwrap_or(&self.hostname);
        fqdn.split_once('.').map(|(_, d)| d).unwrap_or("")
    }

    /// The effective uid.
    pub fn euid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// The effective gid.
    pub fn egid() -> u32 {
        rustix::process::getegid().as_raw()
    }

    /// `whoami`: the name of the effective uid in `/etc/passwd`, `None` when it has none.
    pub fn whoami() -> Option<String> {
        let uid = Host::euid();
        Host::users()
            .into_iter()
            .find(|u| u.uid == uid)
            .map(|u| u.name)
    }

    /// The users of `/etc/passwd`.
    pub fn users() -> Vec<User> {
        parse_passwd(&std::fs::read_to_string("/etc/passwd").unwrap_or_default())
    }

    /// The user named `name` in `/etc/passwd`.
    pub fn user(name: &str) -> Option<User> {
        Host::users().into_iter().find(|u| u.name == name)
    }

    /// The gid of the group named `name` in `/etc/group`.
    pub fn group_gid(name: &str) -> Option<u32> {
        group_gid(
            &std::fs::read_to_string(Path::new("/etc/group")).unwrap_or_default(),
            name,
        )
    }
}

/// The first name of the `/etc/hosts` line that lists `hostname` (or its short form).
fn canonical_name(hostname: &str, hosts: &str) -> Option<String> {
    let short = hostname.split('.').next().unwrap_or("");
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let _address = words.next()?;
        let names: Vec<&str> = words.collect();
        names
            .iter()
            .any(|n| *n == hostname || *n == short)
            .then(|| names.first().map(|n| (*n).to_owned()))
            .flatten()
    })
}

/// `name:x:uid:gid:gecos:home:shell` lines.
fn parse_passwd(text: &str) -> Vec<User> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            Some(User {
                name: (*f.first()?).to_owned(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                home: f.get(5).map(|h| (*h).to_owned()).unwrap_or_default(),
            })
        })
        .collect()
}

/// `name:x:gid:members` lines.
fn group_gid(text: &str, name: &str) -> Option<u32> {
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.first() == Some(&name))
            .then(|| f.get(2).and_then(|g| g.parse().ok()))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_pod_names() {
        let hosts = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n\
                     10.244.1.7\tzk-1.zk-hs.default.svc.cluster.local\tzk-1\n";
        let h = Host::from_parts("zk-1", hosts);
        assert_eq!(h.short(), "zk-1");
        assert_eq!(h.domain(), "zk-hs.default.svc.cluster.local");
    }

    #[test]
    fn names_without_hosts_entry() {
        let h = Host::from_parts("box.example.org", "127.0.0.1 localhost\n");
        assert_eq!(h.short(), "box");
        assert_eq!(h.domain(), "example.org");
        let h = Host::from_parts("vm", "127.0.0.1 vm\n");
        assert_eq!(h.domain(), "");
    }

    #[test]
    fn passwd_and_group() {
        let users = parse_passwd("root:x:0:0:root:/root:/bin/bash\nzookeeper:x:1000:1000::/home/zookeeper:/bin/sh\nbad\n");
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].uid, 1000);
        assert_eq!(users[1].home, "/home/zookeeper");
        assert_eq!(
            group_gid("root:x:0:\nzookeeper:x:1000:\n", "zookeeper"),
            Some(1000)
        );
        assert_eq!(group_gid("root:x:0:\n", "USER"), None);
    }
}

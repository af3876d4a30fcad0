//! The `ZooKeeper` methods zkCli calls, over [`Client::call`]: each checks its path as the Java
//! client does (`IllegalArgumentException` → [`OpError::Illegal`]), adds the chroot, and turns a
//! non-zero reply code into a [`KeeperError`] carrying the client path.

use bytes::Bytes;
use zkrs_jute::{
    Acl, AddWatchRequest, ClientInfo, Create2Response, CreateRequest, CreateResponse,
    CreateTtlRequest, DeleteRequest, ExistsRequest, GetAclRequest, GetAclResponse,
    GetAllChildrenNumberRequest, GetAllChildrenNumberResponse, GetChildren2Response,
    GetChildrenRequest, GetDataRequest, GetDataResponse, GetEphemeralsRequest,
    GetEphemeralsResponse, Jute, JuteReader, MultiOp, MultiRequest, MultiResponse, MultiResult,
    OpCode, ReconfigRequest, RemoveWatchesRequest, SetAclRequest, SetDataRequest, Stat,
    SyncRequest, WhoAmIResponse,
};

use crate::client::Client;
use crate::error::{KeeperError, OpError};
use crate::path::{validate_path, validate_path_seq};
use crate::watches::WatchReg;

const NONODE: i32 = -101;
const INVALID_ACL: i32 = -114;
const MARSHALLING: i32 = -5;

fn illegal(r: Result<(), String>) -> Result<(), OpError> {
    r.map_err(OpError::Illegal)
}

/// Sends and returns the reply body, or the error for `path`.
fn send(
    c: &Client,
    op: OpCode,
    body: &[u8],
    reg: WatchReg,
    path: Option<&str>,
) -> Result<Vec<u8>, KeeperError> {
    let err = |code| KeeperError {
        code,
        path: path.map(str::to_string),
    };
    match c.call(op, body, reg) {
        Ok((hdr, rest)) if hdr.err == 0 => Ok(rest),
        Ok((hdr, _)) => Err(err(hdr.err)),
        Err(code) => Err(err(code)),
    }
}

fn decode<T: Jute>(bytes: &[u8], path: Option<&str>) -> Result<T, KeeperError> {
    let mut r = JuteReader::new(bytes);
    T::read_from(&mut r).map_err(|e| {
        eprintln!("zkCli: malformed reply body: {e}");
        KeeperError {
            code: MARSHALLING,
            path: path.map(str::to_string),
        }
    })
}

/// `getData(path, watch, stat)`.
pub fn get_data(c: &Client, path: &str, watch: bool) -> Result<(Option<Bytes>, Stat), OpError> {
    illegal(validate_path(path))?;
    let sp = c.connect_string().prepend(path);
    let reg = if watch {
        WatchReg::Data(path.to_string())
    } else {
        WatchReg::None
    };
    let body = GetDataRequest { path: sp, watch }.to_bytes();
    let rest = send(c, OpCode::GetData, &body, reg, Some(path))?;
    let r: GetDataResponse = decode(&rest, Some(path))?;
    Ok((r.data, r.stat))
}

/// `getConfig(watch, stat)`: `/zookeeper/config` without chroot.
pub fn get_config(c: &Client, watch: bool) -> Result<(Option<Bytes>, Stat), OpError> {
    let path = "/zookeeper/config";
    let reg = if watch {
        WatchReg::Data(path.to_string())
    } else {
        WatchReg::None
    };
    let body = GetDataRequest {
        path: path.to_string(),
        watch,
    }
    .to_bytes();
    let rest = send(c, OpCode::GetData, &body, reg, Some(path))?;
    let r: GetDataResponse = decode(&rest, Some(path))?;
    Ok((r.data, r.stat))
}

/// `exists(path, watch)`: `None` for NONODE.
pub fn exists(c: &Client, path: &str, watch: bool) -> Result<Option<Stat>, OpError> {
    illegal(validate_path(path))?;
    let sp = c.connect_string().prepend(path);
    let reg = if watch {
        WatchReg::Exists(path.to_string())
    } else {
        WatchReg::None
    };
    let body = ExistsRequest { path: sp, watch }.to_bytes();
    match send(c, OpCode::Exists, &body, reg, Some(path)) {
        Ok(rest) => {
            let stat: Stat = decode(&rest, Some(path))?;
            Ok((stat.czxid != -1).then_some(stat))
        }
        Err(e) if e.code == NONODE => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `getChildren(path, watch, stat)` (getChildren2).
pub fn get_children2(c: &Client, path: &str, watch: bool) -> Result<(Vec<String>, Stat), OpError> {
    illegal(validate_path(path))?;
    let sp = c.connect_string().prepend(path);
    let reg = if watch {
        WatchReg::Child(path.to_string())
    } else {
        WatchReg::None
    };
    let body = GetChildrenRequest { path: sp, watch }.to_bytes();
    let rest = send(c, OpCode::GetChildren2, &body, reg, Some(path))?;
    let r: GetChildren2Response = decode(&rest, Some(path))?;
    Ok((r.children, r.stat))
}

/// `getChildren(path, watch)`.
pub fn get_children(c: &Client, path: &str, watch: bool) -> Result<Vec<String>, OpError> {
    Ok(get_children2(c, path, watch)?.0)
}

/// `setData(path, data, version)`.
pub fn set_data(c: &Client, path: &str, data: &[u8], version: i32) -> Result<Stat, OpError> {
    illegal(validate_path(path))?;
    let body = SetDataRequest {
        path: c.connect_string().prepend(path),
        data: Some(Bytes::copy_from_slice(data)),
        version,
    }
    .to_bytes();
    let rest = send(c, OpCode::SetData, &body, WatchReg::None, Some(path))?;
    Ok(decode(&rest, Some(path))?)
}

/// `create(path, data, acl, mode[, stat, ttl])`: the created client path.
pub fn create(
    c: &Client,
    path: &str,
    data: Option<&[u8]>,
    acl: &[Acl],
    mode: zkrs_jute::CreateMode,
    ttl: Option<i64>,
) -> Result<String, OpError> {
    illegal(validate_path_seq(path, mode.is_sequential()))?;
    if acl.is_empty() {
        return Err(KeeperError::bare(INVALID_ACL).into());
    }
    let sp = c.connect_string().prepend(path);
    let data = data.map(Bytes::copy_from_slice);
    let created = if let Some(ttl) = ttl {
        let body = CreateTtlRequest {
            path: sp,
            data,
            acl: acl.to_vec(),
            flags: mode.flag(),
            ttl,
        }
        .to_bytes();
        let rest = send(c, OpCode::CreateTtl, &body, WatchReg::None, Some(path))?;
        decode::<Create2Response>(&rest, Some(path))?.path
    } else {
        let op = if mode.is_container() {
            OpCode::CreateContainer
        } else {
            OpCode::Create
        };
        let body = CreateRequest {
            path: sp,
            data,
            acl: acl.to_vec(),
            flags: mode.flag(),
        }
        .to_bytes();
        let rest = send(c, op, &body, WatchReg::None, Some(path))?;
        if op == OpCode::CreateContainer {
            decode::<Create2Response>(&rest, Some(path))?.path
        } else {
            decode::<CreateResponse>(&rest, Some(path))?.path
        }
    };
    Ok(c.connect_string().strip(&created))
}

/// `delete(path, version)`.
pub fn delete(c: &Client, path: &str, version: i32) -> Result<(), OpError> {
    illegal(validate_path(path))?;
    let sp = if path == "/" {
        path.to_string()
    } else {
        c.connect_string().prepend(path)
    };
    let body = DeleteRequest { path: sp, version }.to_bytes();
    send(c, OpCode::Delete, &body, WatchReg::None, Some(path))?;
    Ok(())
}

/// `multi` of deletes; true when every op succeeded.
pub fn multi_delete(c: &Client, paths: &[String]) -> Result<bool, OpError> {
    let ops = paths
        .iter()
        .map(|p| {
            MultiOp::Delete(DeleteRequest {
                path: c.connect_string().prepend(p),
                version: -1,
            })
        })
        .collect();
    let body = MultiRequest { ops }.to_bytes();
    match send(c, OpCode::Multi, &body, WatchReg::None, None) {
        Ok(rest) => {
            let r: MultiResponse = decode(&rest, None)?;
            Ok(!r
                .results
                .iter()
                .any(|x| matches!(x, MultiResult::Error(e) if *e != 0)))
        }
        Err(_) => Ok(false),
    }
}

/// `getACL(path, stat)`.
pub fn get_acl(c: &Client, path: &str) -> Result<(Vec<Acl>, Stat), OpError> {
    illegal(validate_path(path))?;
    let body = GetAclRequest {
        path: c.connect_string().prepend(path),
    }
    .to_bytes();
    let rest = send(c, OpCode::GetAcl, &body, WatchReg::None, Some(path))?;
    let r: GetAclResponse = decode(&rest, Some(path))?;
    Ok((r.acl, r.stat))
}

/// `setACL(path, acl, version)`.
pub fn set_acl(c: &Client, path: &str, acl: &[Acl], version: i32) -> Result<Stat, OpError> {
    illegal(validate_path(path))?;
    if acl.is_empty() {
        return Err(KeeperError::bare(INVALID_ACL).into());
    }
    let body = SetAclRequest {
        path: c.connect_string().prepend(path),
        acl: acl.to_vec(),
        version,
    }
    .to_bytes();
    let rest = send(c, OpCode::SetAcl, &body, WatchReg::None, Some(path))?;
    Ok(decode(&rest, Some(path))?)
}

/// `sync(path)`: the result code.
pub fn sync(c: &Client, path: &str) -> Result<i32, OpError> {
    illegal(validate_path(path))?;
    let body = SyncRequest {
        path: c.connect_string().prepend(path),
    }
    .to_bytes();
    match send(c, OpCode::Sync, &body, WatchReg::None, Some(path)) {
        Ok(_) => Ok(0),
        Err(e) => Ok(e.code),
    }
}

/// `getAllChildrenNumber(path)`.
pub fn get_all_children_number(c: &Client, path: &str) -> Result<i32, OpError> {
    illegal(validate_path(path))?;
    let body = GetAllChildrenNumberRequest {
        path: c.connect_string().prepend(path),
    }
    .to_bytes();
    let rest = send(
        c,
        OpCode::GetAllChildrenNumber,
        &body,
        WatchReg::None,
        Some(path),
    )?;
    Ok(decode::<GetAllChildrenNumberResponse>(&rest, Some(path))?.total_number)
}

/// `getEphemerals(prefix)`: no chroot, errors without a path.
pub fn get_ephemerals(c: &Client, prefix: &str) -> Result<Vec<String>, OpError> {
    illegal(validate_path(prefix))?;
    let body = GetEphemeralsRequest {
        prefix_path: prefix.to_string(),
    }
    .to_bytes();
    let rest = send(c, OpCode::GetEphemerals, &body, WatchReg::None, None)?;
    Ok(decode::<GetEphemeralsResponse>(&rest, None)?.ephemerals)
}

/// `addWatch(path, mode)` with the default watcher.
pub fn add_watch(c: &Client, path: &str, mode: zkrs_jute::AddWatchMode) -> Result<(), OpError> {
    illegal(validate_path(path))?;
    let reg = match mode {
        zkrs_jute::AddWatchMode::Persistent => WatchReg::Persistent(path.to_string()),
        zkrs_jute::AddWatchMode::PersistentRecursive => {
            WatchReg::PersistentRecursive(path.to_string())
        }
    };
    let body = AddWatchRequest {
        path: c.connect_string().prepend(path),
        mode: mode as i32,
    }
    .to_bytes();
    send(c, OpCode::AddWatch, &body, reg, Some(path))?;
    Ok(())
}

/// The server's answer to removeWatches (the client-side tables are the caller's business).
pub fn remove_watches(c: &Client, path: &str, ty: i32) -> Result<i32, OpError> {
    illegal(validate_path(path))?;
    let body = RemoveWatchesRequest {
        path: c.connect_string().prepend(path),
        r#type: ty,
    }
    .to_bytes();
    match c.call(OpCode::RemoveWatches, &body, WatchReg::None) {
        Ok((hdr, _)) => Ok(hdr.err),
        Err(code) => Ok(code),
    }
}

/// `whoAmI()`.
pub fn who_am_i(c: &Client) -> Result<Vec<ClientInfo>, OpError> {
    let rest = send(c, OpCode::WhoAmI, &[], WatchReg::None, None)?;
    Ok(decode::<WhoAmIResponse>(&rest, None)?.client_info)
}

/// `ZooKeeperAdmin.reconfigure`: the new config data and stat.
pub fn reconfig(
    c: &Client,
    joining: Option<String>,
    leaving: Option<String>,
    members: Option<String>,
    version: i64,
) -> Result<(Option<Bytes>, Stat), OpError> {
    let body = ReconfigRequest {
        joining_servers: joining,
        leaving_servers: leaving,
        new_members: members,
        cur_config_id: version,
    }
    .to_bytes();
    let rest = send(c, OpCode::Reconfig, &body, WatchReg::None, Some(""))?;
    let r: GetDataResponse = decode(&rest, None)?;
    Ok((r.data, r.stat))
}

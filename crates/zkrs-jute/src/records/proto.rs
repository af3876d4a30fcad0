//! Module `org.apache.zookeeper.proto`: client requests and responses.
//!
//! `ConnectRequest` and `ConnectResponse` live in `crate::connect`.

use bytes::Bytes;

use super::data::{Acl, ClientInfo, Stat, StatPersisted};
use crate::jute_record;

jute_record! {
    /// `SetWatches`: re-registers watches after a reconnect (xid -8).
    pub struct SetWatches {
        pub relative_zxid: i64,
        pub data_watches: Vec<String>,
        pub exist_watches: Vec<String>,
        pub child_watches: Vec<String>,
    }

    /// `SetWatches2` (3.6+): SetWatches plus persistent and persistent-recursive watches.
    pub struct SetWatches2 {
        pub relative_zxid: i64,
        pub data_watches: Vec<String>,
        pub exist_watches: Vec<String>,
        pub child_watches: Vec<String>,
        pub persistent_watches: Vec<String>,
        pub persistent_recursive_watches: Vec<String>,
    }

    /// `RequestHeader`: in front of every client request after the connect.
    pub struct RequestHeader {
        pub xid: i32,
        pub r#type: i32,
    }

    /// `MultiHeader`: in front of each op of a multi request or result.
    pub struct MultiHeader {
        pub r#type: i32,
        pub done: bool,
        pub err: i32,
    }

    /// `AuthPacket`: `addAuthInfo(scheme, auth)`, sent with xid -4.
    pub struct AuthPacket {
        pub r#type: i32,
        pub scheme: String,
        pub auth: Bytes,
    }

    /// `ReplyHeader`: in front of every server reply and notification.
    pub struct ReplyHeader {
        pub xid: i32,
        pub zxid: i64,
        pub err: i32,
    }

    /// `GetDataRequest`.
    pub struct GetDataRequest {
        pub path: String,
        pub watch: bool,
    }

    /// `SetDataRequest`.
    pub struct SetDataRequest {
        pub path: String,
        pub data: Option<Bytes>,
        pub version: i32,
    }

    /// `ReconfigRequest` (3.5+).
    pub struct ReconfigRequest {
        pub joining_servers: Option<String>,
        pub leaving_servers: Option<String>,
        pub new_members: Option<String>,
        pub cur_config_id: i64,
    }

    /// `SetDataResponse`.
    pub struct SetDataResponse {
        pub stat: Stat,
    }

    /// `GetSASLRequest`.
    pub struct GetSaslRequest {
        pub token: Option<Bytes>,
    }

    /// `SetSASLRequest`.
    pub struct SetSaslRequest {
        pub token: Option<Bytes>,
    }

    /// `SetSASLResponse`.
    pub struct SetSaslResponse {
        pub token: Option<Bytes>,
    }

    /// `CreateRequest`: create, create2 and createContainer.
    pub struct CreateRequest {
        pub path: String,
        pub data: Option<Bytes>,
        pub acl: Vec<Acl>,
        pub flags: i32,
    }

    /// `CreateTTLRequest` (3.5.3+).
    pub struct CreateTtlRequest {
        pub path: String,
        pub data: Option<Bytes>,
        pub acl: Vec<Acl>,
        pub flags: i32,
        pub ttl: i64,
    }

    /// `DeleteRequest`.
    pub struct DeleteRequest {
        pub path: String,
        pub version: i32,
    }

    /// `GetChildrenRequest`.
    pub struct GetChildrenRequest {
        pub path: String,
        pub watch: bool,
    }

    /// `GetAllChildrenNumberRequest` (3.6+).
    pub struct GetAllChildrenNumberRequest {
        pub path: String,
    }

    /// `GetStatPersistedRequest` (declared upstream, unused by the server).
    pub struct GetStatPersistedRequest {
        pub path: String,
    }

    /// `GetChildren2Request`.
    pub struct GetChildren2Request {
        pub path: String,
        pub watch: bool,
    }

    /// `CheckVersionRequest`.
    pub struct CheckVersionRequest {
        pub path: String,
        pub version: i32,
    }

    /// `GetMaxChildrenRequest` (unused upstream).
    pub struct GetMaxChildrenRequest {
        pub path: String,
    }

    /// `GetMaxChildrenResponse` (unused upstream).
    pub struct GetMaxChildrenResponse {
        pub max: i32,
    }

    /// `SetMaxChildrenRequest` (unused upstream).
    pub struct SetMaxChildrenRequest {
        pub path: String,
        pub max: i32,
    }

    /// `SyncRequest`.
    pub struct SyncRequest {
        pub path: String,
    }

    /// `SyncResponse`.
    pub struct SyncResponse {
        pub path: String,
    }

    /// `GetACLRequest`.
    pub struct GetAclRequest {
        pub path: String,
    }

    /// `SetACLRequest`: `version` is checked against the node's aversion.
    pub struct SetAclRequest {
        pub path: String,
        pub acl: Vec<Acl>,
        pub version: i32,
    }

    /// `SetACLResponse`.
    pub struct SetAclResponse {
        pub stat: Stat,
    }

    /// `AddWatchRequest` (3.6+); `mode` is an `AddWatchMode`.
    pub struct AddWatchRequest {
        pub path: String,
        pub mode: i32,
    }

    /// `WatcherEvent`: the body of a notification (xid -1).
    pub struct WatcherEvent {
        pub r#type: i32,
        pub state: i32,
        pub path: String,
    }

    /// `ErrorResponse`: a failed op inside a multi, and the body of an addWatch reply.
    pub struct ErrorResponse {
        pub err: i32,
    }

    /// `CreateResponse`.
    pub struct CreateResponse {
        pub path: String,
    }

    /// `Create2Response` (3.5+).
    pub struct Create2Response {
        pub path: String,
        pub stat: Stat,
    }

    /// `ExistsRequest`.
    pub struct ExistsRequest {
        pub path: String,
        pub watch: bool,
    }

    /// `ExistsResponse`.
    pub struct ExistsResponse {
        pub stat: Stat,
    }

    /// `GetDataResponse`.
    pub struct GetDataResponse {
        pub data: Option<Bytes>,
        pub stat: Stat,
    }

    /// `GetChildrenResponse`.
    pub struct GetChildrenResponse {
        pub children: Vec<String>,
    }

    /// `GetAllChildrenNumberResponse` (3.6+).
    pub struct GetAllChildrenNumberResponse {
        pub total_number: i32,
    }

    /// `GetStatPersistedResponse` (declared upstream, unused by the server).
    pub struct GetStatPersistedResponse {
        pub stat_persisted: StatPersisted,
    }

    /// `GetChildren2Response`.
    pub struct GetChildren2Response {
        pub children: Vec<String>,
        pub stat: Stat,
    }

    /// `GetACLResponse`.
    pub struct GetAclResponse {
        pub acl: Vec<Acl>,
        pub stat: Stat,
    }

    /// `CheckWatchesRequest` (3.5+); `type` is a `WatcherType`.
    pub struct CheckWatchesRequest {
        pub path: String,
        pub r#type: i32,
    }

    /// `RemoveWatchesRequest` (3.5+); `type` is a `WatcherType`.
    pub struct RemoveWatchesRequest {
        pub path: String,
        pub r#type: i32,
    }

    /// `GetEphemeralsRequest` (3.6+).
    pub struct GetEphemeralsRequest {
        pub prefix_path: String,
    }

    /// `GetEphemeralsResponse` (3.6+).
    pub struct GetEphemeralsResponse {
        pub ephemerals: Vec<String>,
    }

    /// `WhoAmIResponse` (3.7+).
    pub struct WhoAmIResponse {
        pub client_info: Vec<ClientInfo>,
    }
}

jute_record! {
    /// `DeleteContainerRequest` (opcode 20). Hand-written upstream (`DeleteContainerRequest.java`),
    /// not declared in `zookeeper.jute`.
    pub struct DeleteContainerRequest {
        pub path: String,
    }
}

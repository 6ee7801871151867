//! The sync recorder: what a sync leaves behind, off the request path (the sync queue):
//! `last_sync_at` of the delivered configurations, a `config.synced` activity entry, and
//! the device's report (the fleet).

use crate::activity::{ActivityEntry, By, EventType};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Bundle, Source};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::ids::{ActivityId, AgentConfigId, EmployeeId, McpConfigId, OrgId};
use crate::queue::Queue;
use crate::repo;
use crate::time::Timestamp;
use agentctl_wire::fleet::Posture;

/// A sync to record, as the sync function puts it on the sync queue after a 200 and the
/// sync recorder reads it: `last_sync_at` of the delivered configurations and a
/// `config.synced` activity entry. Recording off the request path keeps a sync at its two
/// reads; the record's own id and time make a redelivered message write nothing twice.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRecord {
    /// Message format version.
    pub v: u32,
    pub id: ActivityId,
    pub org_id: OrgId,
    pub employee_id: EmployeeId,
    pub agent_config_ids: Vec<AgentConfigId>,
    pub mcp_config_ids: Vec<McpConfigId>,
    pub synced_at: Timestamp,
    /// A bundle was delivered (absent: yes); a sync answered 304 records only its
    /// device's report.
    #[serde(default = "delivered", skip_serializing_if = "Clone::clone")]
    pub delivered: bool,
    /// What the device reported with the sync (the fleet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Posture>,
}

fn delivered() -> bool {
    true
}

const RECORD_VERSION: u32 = 1;

/// The configuration of an employee's own delivered item (assignments are not recorded
/// per employee).
fn personal<C>(source: Source<C>) -> Option<C> {
    match source {
        Source::Personal { config_id } => Some(config_id),
        Source::Assignment { .. } => None,
    }
}

/// Queues the record of a sync: the delivered bundle's (`None`: the sync answered 304)
/// and the device's report. A 304 without a report queues nothing.
pub(super) async fn enqueue(
    state: &AppState,
    caller: &Caller,
    bundle: Option<&Bundle>,
    device: Option<Posture>,
) -> Result<()> {
    if bundle.is_none() && device.is_none() {
        return Ok(());
    }
    let record = SyncRecord {
        v: RECORD_VERSION,
        id: ActivityId::new(),
        org_id: caller.org_id,
        employee_id: caller.employee_id,
        agent_config_ids: bundle
            .map_or_else(Vec::new, |b| b.agents.iter().filter_map(|a| personal(a.source)).collect()),
        mcp_config_ids: bundle
            .map_or_else(Vec::new, |b| b.mcp_servers.iter().filter_map(|m| personal(m.source)).collect()),
        synced_at: crate::time::now(),
        delivered: bundle.is_some(),
        device,
    };
    let body = serde_json::to_string(&record).expect("records serialize");
    // Not recorded, not delivered: the client retries (503) rather than a sync going unrecorded.
    Ok(state.queues.send(Queue::Sync, body).await?)
}

/// The sync recorder's work for one queue message.
pub async fn record_message(state: &AppState, body: &str) -> Result<()> {
    let record: SyncRecord =
        serde_json::from_str(body).map_err(|e| Error::BadRequest(format!("not a sync record: {e}")))?;
    if record.v != RECORD_VERSION {
        return Err(Error::BadRequest(format!("sync record version {} is unknown", record.v)));
    }
    record_sync(state, &record).await
}

/// Writes a sync record: one transaction per ~100 configurations (the first holds the
/// activity entry, put only if absent). A configuration deleted meanwhile fails its
/// condition; the marks are then written one by one, skipping it.
pub async fn record_sync(state: &AppState, record: &SyncRecord) -> Result<()> {
    let (org, employee, at) = (record.org_id, record.employee_id, &record.synced_at);
    if let Some(device) = &record.device {
        repo::fleet::report(&state.repo, org, employee, device, at).await?;
    }
    if !record.delivered {
        return Ok(());
    }
    use repo::configs::ConfigRef;
    let delivered: Vec<ConfigRef> = record
        .agent_config_ids
        .iter()
        .copied()
        .map(ConfigRef::Agent)
        .chain(record.mcp_config_ids.iter().copied().map(ConfigRef::Mcp))
        .collect();
    let payload = json!({
        "employee_id": employee,
        "agents": record.agent_config_ids.len(),
        "mcp_servers": record.mcp_config_ids.len(),
    });
    let entry = ActivityEntry {
        id: record.id,
        created_at: record.synced_at,
        ..crate::activity::entry(org, By::employee(employee), EventType::ConfigSynced, payload)
    };
    let retention = state.config.activity_retention_days;
    let chunks: Vec<&[ConfigRef]> =
        if delivered.is_empty() { vec![&[]] } else { delivered.chunks(repo::transaction::MAX_ITEMS - 1).collect() };
    for (i, chunk) in chunks.into_iter().enumerate() {
        let mut tx = state.repo.transaction();
        if i == 0 {
            repo::activity::record_once(&mut tx, &entry, retention)?;
        }
        for config in chunk {
            repo::configs::mark_synced(&mut tx, org, employee, *config, at);
        }
        match crate::domain::notify::commit(state, tx).await {
            Ok(()) | Err(repo::StoreError::ConditionFailed(repo::Guard::ActivityRecorded)) => {}
            Err(repo::StoreError::ConditionFailed(_)) => {
                if i == 0 {
                    let mut tx = state.repo.transaction();
                    repo::activity::record_once(&mut tx, &entry, retention)?;
                    ignore_condition(crate::domain::notify::commit(state, tx).await)?;
                }
                for config in chunk {
                    let mut tx = state.repo.transaction();
                    repo::configs::mark_synced(&mut tx, org, employee, *config, at);
                    ignore_condition(crate::domain::notify::commit(state, tx).await)?;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// A failed condition here means the write was done already or is moot.
fn ignore_condition(result: std::result::Result<(), repo::StoreError>) -> Result<()> {
    match result {
        Ok(()) | Err(repo::StoreError::ConditionFailed(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

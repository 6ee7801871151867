//! Usage analytics, read from rollups only (never from usage records): team usage for a
//! date range (the seed's "team usage analytics", without its over-count), breakdowns by
//! employee, agent, agent configuration and resource type, top spenders, and a daily
//! time series. A range of whole calendar months (or from the first of one to today) reads
//! month rollups, any other range day rollups: one Query of O(ids x periods) items either way.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Utc};

use crate::AppState;
use crate::auth::Caller;
use crate::domain::usage::{Dimension, Granularity, Rollup, UsageTotals};
use crate::error::{Error, Result};
use crate::pagination::{self, Page, PageQuery, PageRequest};
use crate::repo;
use crate::roles::Permission;

pub use agentctl_wire::analytics::{BreakdownBy, BreakdownQuery, DailyUsage, RangeQuery, TeamUsage, UsageLine};

/// Longest range one request may span.
const MAX_RANGE_DAYS: i64 = 400;

/// A validated range and the rollups that cover it.
struct Range {
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
}

impl Range {
    fn parse(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Self> {
        let today = Utc::now().date_naive();
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to.with_day(1).expect("the first exists"));
        if from > to {
            return Err(Error::invalid("from", "must not be after to"));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(Error::invalid("to", format!("a range spans at most {MAX_RANGE_DAYS} days")));
        }
        // Month rollups answer a range from the first of a month to the last day of one,
        // or to today or later: nothing is dated after today but events at most a few
        // minutes ahead of the clock (then counted in their month, not left out).
        let month_end = to.succ_opt().is_some_and(|next| next.day() == 1);
        let whole_months = from.day() == 1 && (month_end || to >= today);
        let granularity = if whole_months { Granularity::Month } else { Granularity::Day };
        Ok(Self { from, to, granularity })
    }

    fn periods(&self) -> (String, String) {
        let format = match self.granularity {
            Granularity::Month => "%Y-%m",
            Granularity::Day => "%Y-%m-%d",
        };
        (self.from.format(format).to_string(), self.to.format(format).to_string())
    }

    /// The month (`yyyy-mm`) when the range is one month read from its month rollups.
    fn single_month(&self) -> Option<String> {
        let same_month = (self.from.year(), self.from.month()) == (self.to.year(), self.to.month());
        (self.granularity == Granularity::Month && same_month).then(|| self.from.format("%Y-%m").to_string())
    }

    /// Names one of the caller's lists over this range, which its cursors serve alone.
    fn list_name(&self, caller: &Caller, list: &str) -> String {
        format!("{}:{list}:{}:{}", caller.org_id, self.from, self.to)
    }

    /// The rollups of `dimension` over the range.
    async fn rollups(&self, state: &AppState, caller: &Caller, dimension: Dimension) -> Result<Vec<Rollup>> {
        let (from, to) = self.periods();
        Ok(repo::usage::rollups(&state.repo, caller.org_id, dimension, self.granularity, (&from, &to)).await?)
    }
}

/// The totals of one dimension's ids over a range, most expensive first.
async fn totals_by_id(
    state: &AppState,
    caller: &Caller,
    range: &Range,
    dimension: Dimension,
) -> Result<Vec<(String, UsageTotals)>> {
    let mut by_id: BTreeMap<String, UsageTotals> = BTreeMap::new();
    for rollup in range.rollups(state, caller, dimension).await? {
        by_id.entry(rollup.id).or_default().add(&rollup.totals);
    }
    let mut totals: Vec<(String, UsageTotals)> = by_id.into_iter().collect();
    totals.sort_by(|a, b| b.1.cost_usd.cmp(&a.1.cost_usd).then_with(|| a.0.cmp(&b.0)));
    Ok(totals)
}

/// Every team with its usage in the range (zero when it had none), most expensive first.
pub async fn teams(state: &AppState, caller: &Caller, query: &RangeQuery) -> Result<Page<TeamUsage>> {
    caller.require(Permission::UsageRead)?;
    let range = Range::parse(query.from, query.to)?;
    let page = page_request(query.limit, &query.cursor)?;
    let teams = repo::teams::all(&state.repo, caller.org_id).await?;
    let mut totals: BTreeMap<String, UsageTotals> =
        totals_by_id(state, caller, &range, Dimension::Team).await?.into_iter().collect();
    let mut usage: Vec<TeamUsage> = teams
        .into_iter()
        .map(|team| {
            let usage = totals.remove(&team.id.to_string()).unwrap_or_default();
            TeamUsage {
                team_id: team.id,
                team_name: team.name,
                employee_count: team.member_count,
                total_agents: team.agent_config_total,
                active_agents: team.agent_config_count,
                total_cost_usd: usage.cost_usd,
                usage,
            }
        })
        .collect();
    usage.sort_by(|a, b| b.total_cost_usd.cmp(&a.total_cost_usd).then_with(|| a.team_name.cmp(&b.team_name)));
    Ok(pagination::in_memory(usage, &page, &range.list_name(caller, "teams"))?)
}

/// Usage grouped by `by`, most expensive first. A month of people or of their
/// configurations is read from the ranking index a page at a time (equal spends in no set
/// order); any other breakdown adds up every id's rollups of the range.
pub async fn breakdown(state: &AppState, caller: &Caller, query: &BreakdownQuery) -> Result<Page<UsageLine>> {
    caller.require(Permission::UsageRead)?;
    let range = Range::parse(query.from, query.to)?;
    let page = page_request(query.limit, &query.cursor)?;
    let dimension = match query.by {
        BreakdownBy::Employee => Dimension::Employee,
        BreakdownBy::Agent => Dimension::Agent,
        BreakdownBy::AgentConfig => Dimension::AgentConfig,
        BreakdownBy::ResourceType => Dimension::ResourceType,
        BreakdownBy::Tool => Dimension::Tool,
        BreakdownBy::Model => Dimension::Model,
    };
    let ranked = match range.single_month() {
        Some(month) => repo::usage::ranked(&state.repo, caller.org_id, dimension, &month, &page).await?,
        None => None,
    };
    let page = match ranked {
        Some(ranked) => Page {
            items: ranked.items.into_iter().map(|rollup| (rollup.id, rollup.totals)).collect(),
            next_cursor: ranked.next_cursor,
        },
        None => {
            let totals = totals_by_id(state, caller, &range, dimension).await?;
            pagination::in_memory(totals, &page, &range.list_name(caller, &format!("breakdown-{dimension:?}")))?
        }
    };
    let names = match query.by {
        BreakdownBy::Employee => employee_names(state, caller, page.items.iter().map(|(id, _)| id.as_str())).await?,
        _ => BTreeMap::new(),
    };
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|(id, usage)| UsageLine { name: names.get(&id).cloned(), id, usage })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

async fn employee_names<'a>(
    state: &AppState,
    caller: &Caller,
    ids: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, String>> {
    let ids: Vec<crate::ids::EmployeeId> = ids.filter_map(|id| id.parse().ok()).map(crate::ids::EmployeeId).collect();
    let employees = repo::employees::get_many(&state.repo, caller.org_id, &ids).await?;
    Ok(employees.into_iter().map(|e| (e.id.to_string(), e.full_name)).collect())
}

/// The organization's usage per day over the range, days without usage included.
pub async fn daily(state: &AppState, caller: &Caller, query: &RangeQuery) -> Result<Page<DailyUsage>> {
    caller.require(Permission::UsageRead)?;
    let range = Range { granularity: Granularity::Day, ..Range::parse(query.from, query.to)? };
    let page = page_request(query.limit, &query.cursor)?;
    let mut by_day: BTreeMap<String, UsageTotals> = BTreeMap::new();
    for rollup in range.rollups(state, caller, Dimension::Org).await? {
        by_day.entry(rollup.period).or_default().add(&rollup.totals);
    }
    let days: Vec<DailyUsage> = range
        .from
        .iter_days()
        .take_while(|d| *d <= range.to)
        .map(|date| DailyUsage { usage: by_day.remove(&date.to_string()).unwrap_or_default(), date })
        .collect();
    Ok(pagination::in_memory(days, &page, &range.list_name(caller, "daily"))?)
}

fn page_request(limit: Option<u32>, cursor: &Option<String>) -> Result<PageRequest> {
    Ok(PageRequest::try_from(&PageQuery { limit, cursor: cursor.clone() })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<NaiveDate> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn whole_months_read_month_rollups_other_ranges_day_rollups() {
        let months = Range::parse(date("2026-10-01"), date("2026-11-30")).unwrap();
        assert_eq!(months.granularity, Granularity::Month);
        assert_eq!(months.periods(), ("2026-10".into(), "2026-11".into()));
        let days = Range::parse(date("2026-11-03"), date("2026-11-30")).unwrap();
        assert_eq!(days.granularity, Granularity::Day);
        assert_eq!(days.periods(), ("2026-11-03".into(), "2026-11-30".into()));
        assert!(Range::parse(date("2026-11-05"), date("2026-11-04")).is_err());
        assert!(Range::parse(date("2024-01-01"), date("2026-11-04")).is_err());
        assert!(Range::parse(None, Some(NaiveDate::MAX)).is_ok(), "no overflow at the end of time");
    }

    #[test]
    fn the_month_so_far_reads_month_rollups() {
        let today = Utc::now().date_naive();
        let this_month = Range::parse(None, None).unwrap();
        assert_eq!(this_month.granularity, Granularity::Month);
        assert_eq!(this_month.from, today.with_day(1).unwrap());
        let earlier = (today - chrono::Days::new(40)).with_day(1).unwrap();
        assert_eq!(Range::parse(Some(earlier), Some(today)).unwrap().granularity, Granularity::Month);
        let mid_month = earlier.with_day(15).unwrap();
        assert_eq!(Range::parse(Some(earlier), Some(mid_month)).unwrap().granularity, Granularity::Day);
        assert_eq!(this_month.single_month(), Some(today.format("%Y-%m").to_string()), "ranked");
        let month_end = (earlier + chrono::Months::new(1)).pred_opt().unwrap();
        let whole = Range::parse(Some(earlier), Some(month_end)).unwrap();
        assert_eq!(whole.single_month(), Some(earlier.format("%Y-%m").to_string()));
        assert_eq!(Range::parse(Some(earlier), Some(today)).unwrap().single_month(), None, "two months");
        assert_eq!(Range::parse(Some(earlier), Some(mid_month)).unwrap().single_month(), None, "days");
    }
}

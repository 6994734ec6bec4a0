//! Azure Monitor's metrics route on a cluster, `{clusterId}/providers/Microsoft.Insights/metrics`
//! (`Metrics - List`, <https://learn.microsoft.com/rest/api/monitor/metrics/list>), for the one
//! metric kfollow reads: `FollowerLatency` (milliseconds; aggregations Average, Maximum,
//! Minimum; time grain PT1M), as
//! <https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-kusto-clusters-metrics>
//! lists it.
//!
//! Every minute of the asked `timespan` (at most the last day of it) is a data point carrying
//! the cluster's `followerLatencyMs` in each aggregation asked for; a cluster that emits no
//! value (stopped, or following nothing) has data points with only their `timeStamp`, as Azure
//! Monitor answers for minutes without data.

use std::time::SystemTime;

use http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::reply::{ArmError, Reply};
use crate::world::WorldCluster;

/// The api-version of `Metrics - List` the emulator serves.
pub const API_VERSION: &str = "2023-10-01";

/// The one metric served.
const FOLLOWER_LATENCY: &str = "FollowerLatency";

/// The aggregations `FollowerLatency` has, as the query names them and the answer spells them.
const AGGREGATIONS: [(&str, &str); 3] = [
    ("average", "average"),
    ("maximum", "maximum"),
    ("minimum", "minimum"),
];

/// At most this many data points (a day of minutes) in one answer.
const MAX_POINTS: u64 = 24 * 60;

/// The query of a metrics request.
pub struct MetricsQuery<'a> {
    /// `api-version`.
    pub api_version: Option<&'a str>,
    /// `metricnames`, comma-separated.
    pub metric_names: Option<&'a str>,
    /// `aggregation`, comma-separated; the metric's default (Average) when absent.
    pub aggregation: Option<&'a str>,
    /// `interval`; PT1M when absent.
    pub interval: Option<&'a str>,
    /// `timespan`: `start/end` in ISO 8601; the last hour when absent.
    pub timespan: Option<&'a str>,
}

/// Answers `GET {clusterId}/providers/Microsoft.Insights/metrics`.
pub fn list(cluster: &WorldCluster, query: &MetricsQuery<'_>, now: SystemTime) -> Reply {
    match answer(cluster, query, now) {
        Ok(body) => Reply::ok(body),
        Err(error) => error.reply(),
    }
}

fn answer(
    cluster: &WorldCluster,
    query: &MetricsQuery<'_>,
    now: SystemTime,
) -> Result<Value, ArmError> {
    match query.api_version {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(bad_request(
                "NoRegisteredProviderFound",
                format!(
                    "No registered resource provider found for API version '{other}' for type \
                     'metrics'. The supported api-versions are '{API_VERSION}'."
                ),
            ));
        }
        None => {
            return Err(bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests."
                    .to_owned(),
            ));
        }
    }
    let names: Vec<&str> = query
        .metric_names
        .unwrap_or(FOLLOWER_LATENCY)
        .split(',')
        .map(str::trim)
        .collect();
    if let Some(unknown) = names
        .iter()
        .find(|n| !n.eq_ignore_ascii_case(FOLLOWER_LATENCY))
    {
        return Err(bad_request(
            "BadRequest",
            format!(
                "Failed to find metric configuration for provider: Microsoft.Kusto, resource \
                 Type: clusters, metric: {unknown}; the emulator serves only {FOLLOWER_LATENCY}"
            ),
        ));
    }
    let mut aggregations = Vec::new();
    for asked in query.aggregation.unwrap_or("Average").split(',') {
        let asked = asked.trim();
        let (_, field) = AGGREGATIONS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(asked))
            .ok_or_else(|| {
                bad_request(
                    "BadRequest",
                    format!(
                        "aggregation `{asked}` is not one of {FOLLOWER_LATENCY}'s: Average, \
                         Maximum, Minimum"
                    ),
                )
            })?;
        aggregations.push(*field);
    }
    let interval = query.interval.unwrap_or("PT1M");
    if !interval.eq_ignore_ascii_case("PT1M") {
        return Err(bad_request(
            "BadRequest",
            format!("interval `{interval}` is not supported; {FOLLOWER_LATENCY} has PT1M"),
        ));
    }
    let now = OffsetDateTime::from(now);
    let (start, end) = match query.timespan {
        Some(text) => timespan(text)?,
        None => (now - time::Duration::hours(1), now),
    };
    let start = whole_minute(start.max(end - time::Duration::minutes(MAX_POINTS as i64)));
    let latency = cluster.follower_latency();
    let mut data = Vec::new();
    let mut at = start;
    while at < end {
        let mut point = serde_json::Map::new();
        point.insert("timeStamp".into(), Value::from(format_time(at)));
        if let Some(ms) = latency {
            for field in &aggregations {
                point.insert((*field).into(), json!(ms as f64));
            }
        }
        data.push(Value::Object(point));
        at += time::Duration::minutes(1);
    }
    Ok(json!({
        "cost": data.len(),
        "timespan": format!("{}/{}", format_time(start), format_time(end)),
        "interval": "PT1M",
        "value": [{
            "id": format!("{}/providers/Microsoft.Insights/metrics/{FOLLOWER_LATENCY}", cluster.id),
            "type": "Microsoft.Insights/metrics",
            "name": {"value": FOLLOWER_LATENCY, "localizedValue": "Follower Latency"},
            "displayDescription": "The follower databases synchronize changes in the leader \
                databases. Because of the synchronization, there's a data lag of a few seconds \
                to a few minutes in data availability. This metric measures the length of the \
                time lag. The time lag depends on the overall size of the leader database \
                metadata.",
            "unit": "MilliSeconds",
            "timeseries": [{"metadatavalues": [], "data": data}],
            "errorCode": "Success",
        }],
        "namespace": "Microsoft.Kusto/clusters",
        "resourceregion": cluster.location,
    }))
}

/// `start/end`, both RFC 3339 times.
fn timespan(text: &str) -> Result<(OffsetDateTime, OffsetDateTime), ArmError> {
    let invalid = || {
        bad_request(
            "BadRequest",
            format!(
                "timespan `{text}` is not `start/end` in ISO 8601, such as \
                 `2026-05-01T12:00:00Z/2026-05-01T12:15:00Z`"
            ),
        )
    };
    let (start, end) = text.split_once('/').ok_or_else(invalid)?;
    let parse = |t: &str| OffsetDateTime::parse(t.trim(), &Rfc3339).map_err(|_| invalid());
    let (start, end) = (parse(start)?, parse(end)?);
    if start >= end {
        return Err(invalid());
    }
    Ok((start, end))
}

fn whole_minute(time: OffsetDateTime) -> OffsetDateTime {
    time.replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(time)
}

/// A time as Azure Monitor writes it: `2026-05-01T12:00:00Z`.
fn format_time(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

fn bad_request(code: &str, message: String) -> ArmError {
    ArmError::new(StatusCode::BAD_REQUEST, code, message)
}

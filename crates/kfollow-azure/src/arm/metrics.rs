//! Azure Monitor's `Metrics - List` on a cluster
//! (<https://learn.microsoft.com/rest/api/monitor/metrics/list>): the route
//! `{clusterId}/providers/Microsoft.Insights/metrics`, read through ARM like the cluster's own
//! routes, with its own api-version. kfollow reads one metric, `FollowerLatency`
//! (<https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-kusto-clusters-metrics>:
//! milliseconds, time grain PT1M, one figure for the whole follower cluster).

use std::time::{Duration, SystemTime};

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The api-version of `Metrics - List`.
pub const METRICS_API_VERSION: &str = "2023-10-01";

/// The metric of a follower cluster's lag behind its leaders.
pub const FOLLOWER_LATENCY: &str = "FollowerLatency";

/// The query of a `FollowerLatency` read: the maximum of each minute over `window` up to
/// `now`.
pub(crate) fn follower_latency_query(window: Duration, now: SystemTime) -> String {
    let end = OffsetDateTime::from(now);
    let start = end - window;
    let format = |t: OffsetDateTime| {
        // Whole seconds: Azure Monitor's own timestamps have none finer.
        t.replace_nanosecond(0)
            .unwrap_or(t)
            .format(&Rfc3339)
            .unwrap_or_default()
    };
    format!(
        "api-version={METRICS_API_VERSION}&metricnames={FOLLOWER_LATENCY}&aggregation=Maximum\
         &interval=PT1M&timespan={}/{}",
        format(start),
        format(end)
    )
}

/// `Response` of `Metrics - List` (only what kfollow reads).
#[derive(Debug, Deserialize)]
pub(crate) struct MetricsWire {
    #[serde(default)]
    value: Vec<MetricWire>,
}

#[derive(Debug, Deserialize)]
struct MetricWire {
    name: LocalizableWire,
    #[serde(default)]
    timeseries: Vec<TimeSeriesWire>,
}

#[derive(Debug, Deserialize)]
struct LocalizableWire {
    value: String,
}

#[derive(Debug, Deserialize)]
struct TimeSeriesWire {
    #[serde(default)]
    data: Vec<PointWire>,
}

#[derive(Debug, Deserialize)]
struct PointWire {
    /// Absent for a minute without data.
    #[serde(default)]
    maximum: Option<f64>,
}

impl MetricsWire {
    /// The largest `maximum` of the metric's points, in milliseconds; `None` when no minute
    /// of the window had data.
    pub(crate) fn maximum(&self, metric: &str) -> Option<f64> {
        self.value
            .iter()
            .filter(|m| m.name.value.eq_ignore_ascii_case(metric))
            .flat_map(|m| &m.timeseries)
            .flat_map(|series| &series.data)
            .filter_map(|point| point.maximum)
            .filter(|ms| ms.is_finite())
            .reduce(f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_the_metric_the_aggregation_and_a_window_ending_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::new(1_777_636_800, 123);
        assert_eq!(
            follower_latency_query(Duration::from_secs(15 * 60), now),
            "api-version=2023-10-01&metricnames=FollowerLatency&aggregation=Maximum\
             &interval=PT1M&timespan=2026-05-01T11:45:00Z/2026-05-01T12:00:00Z"
        );
    }

    #[test]
    fn the_maximum_skips_minutes_without_data() {
        let body = r#"{"value":[{"name":{"value":"FollowerLatency"},"timeseries":[{"data":[
            {"timeStamp":"2026-05-01T12:00:00Z","maximum":1200.0},
            {"timeStamp":"2026-05-01T12:01:00Z"},
            {"timeStamp":"2026-05-01T12:02:00Z","maximum":3400.5}]}]}]}"#;
        let wire: MetricsWire = serde_json::from_str(body).unwrap();
        assert_eq!(wire.maximum(FOLLOWER_LATENCY), Some(3400.5));
        let empty = r#"{"value":[{"name":{"value":"FollowerLatency"},"timeseries":[{"data":[
            {"timeStamp":"2026-05-01T12:00:00Z"}]}]}]}"#;
        let wire: MetricsWire = serde_json::from_str(empty).unwrap();
        assert_eq!(wire.maximum(FOLLOWER_LATENCY), None);
    }
}

//! What the clients tell their caller while they wait: throttling, a busy cluster, a low
//! request budget. A caller that wants to show these waits (a long silence looks like a hang)
//! gives the client an [`Observer`]; each [`Notice`] carries structured data and reads as one
//! line. No notice ever holds a header or a token.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Hears every [`Notice`] of a client and its clones, from whichever task waits.
pub type Observer = Arc<dyn Fn(&Notice) + Send + Sync>;

/// Who asked kfollow to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Throttler {
    /// ARM, for every request to one subscription.
    Arm {
        /// The subscription id.
        subscription: String,
    },
    /// A cluster's data plane.
    Kusto {
        /// The cluster's host (`fcemea.westeurope.kusto.windows.net`).
        cluster: String,
    },
}

/// A wait the user should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// The service answered 429: requests wait `wait` (for ARM, every request of the
    /// subscription does).
    Throttled {
        /// Who throttled.
        by: Throttler,
        /// How long kfollow waits before sending again.
        wait: Duration,
    },
    /// A write found its cluster busy with another write (`ServiceIsInMaintenance`, `Conflict`)
    /// and is submitted again after `wait`.
    Busy {
        /// The cluster's name.
        cluster: String,
        /// The service's error code.
        code: String,
        /// How long kfollow waits before submitting the write again.
        wait: Duration,
        /// The try that found the cluster busy (1 for the first submission).
        attempt: u32,
        /// How many tries a write gets at most.
        max_tries: u32,
    },
    /// Few ARM requests are left in the subscription's budget: requests go one at a time,
    /// `interval` apart, until the budget grows again.
    Pacing {
        /// The subscription id.
        subscription: String,
        /// Requests left, as ARM last said.
        remaining: u64,
        /// The gap between two requests while pacing.
        interval: Duration,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Throttled {
                by: Throttler::Arm { .. },
                wait,
            } => write!(f, "throttled by ARM; waiting {}", format_wait(*wait)),
            Notice::Throttled {
                by: Throttler::Kusto { cluster },
                wait,
            } => write!(
                f,
                "throttled by cluster `{cluster}`; waiting {}",
                format_wait(*wait)
            ),
            Notice::Busy {
                cluster,
                code,
                wait,
                ..
            } => write!(
                f,
                "{cluster} is busy ({code}); retrying in {}",
                format_wait(*wait)
            ),
            Notice::Pacing {
                subscription,
                remaining,
                interval,
            } => write!(
                f,
                "the ARM request budget of subscription `{subscription}` is low ({remaining} left); \
                 sending one request every {}",
                format_wait(*interval)
            ),
        }
    }
}

/// A wait as a person reads it: `30s`, `2m5s`, or `250ms` under a second.
pub fn format_wait(wait: Duration) -> String {
    if wait < Duration::from_secs(1) {
        return format!("{}ms", wait.as_millis());
    }
    // Rounded to the nearest second: "waiting 30s" for a 29.6 s wait.
    let total = (wait.as_millis() + 500) / 1000;
    let (minutes, seconds) = (total / 60, total % 60);
    if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// Delivers a notice, when someone listens.
pub(crate) fn tell(observer: Option<&Observer>, notice: Notice) {
    if let Some(observer) = observer {
        observer(&notice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_as_the_user_sees_them() {
        let throttled = Notice::Throttled {
            by: Throttler::Arm {
                subscription: "s".into(),
            },
            wait: Duration::from_secs(30),
        };
        assert_eq!(throttled.to_string(), "throttled by ARM; waiting 30s");
        let busy = Notice::Busy {
            cluster: "fcretail".into(),
            code: "ServiceIsInMaintenance".into(),
            wait: Duration::from_millis(40_200),
            attempt: 1,
            max_tries: 6,
        };
        assert_eq!(
            busy.to_string(),
            "fcretail is busy (ServiceIsInMaintenance); retrying in 40s"
        );
        assert_eq!(format_wait(Duration::from_millis(250)), "250ms");
        assert_eq!(format_wait(Duration::from_secs(125)), "2m5s");
    }
}

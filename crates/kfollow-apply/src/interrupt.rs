//! Ctrl-C and SIGTERM during an apply, as Terraform treats them: the first stops new changes
//! from starting and lets the ones in flight finish; the second stops at once, leaving the
//! changes in flight in an unknown state, which the caller then names.
//!
//! Listening replaces the default action of the signals for the rest of the run, so a command
//! that listens must end on an interrupt itself: `kfollow apply` listens from its start, ends
//! on the first interrupt that comes before its first write, and leaves the rest to
//! [`crate::run_approved`]. This module only counts them.

use tokio::sync::watch;

/// The interrupts received since [`Interrupts::listen`].
pub struct Interrupts {
    count: watch::Receiver<u32>,
}

impl Interrupts {
    /// Starts counting Ctrl-C (SIGINT) and SIGTERM, on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the signal handlers cannot be installed.
    pub fn listen() -> std::io::Result<Interrupts> {
        let (sender, count) = watch::channel(0);
        let mut signals = Signals::new()?;
        tokio::spawn(async move {
            loop {
                signals.next().await;
                let received = *sender.borrow() + 1;
                if sender.send(received).is_err() {
                    return;
                }
            }
        });
        Ok(Interrupts { count })
    }

    /// Interrupts a test sends itself: each call of the returned closure is one more.
    #[cfg(test)]
    pub(crate) fn by_hand() -> (impl Fn(), Interrupts) {
        let (sender, count) = watch::channel(0);
        (
            move || sender.send_modify(|count| *count += 1),
            Interrupts { count },
        )
    }

    /// How many interrupts came so far.
    pub fn received(&self) -> u32 {
        *self.count.borrow()
    }

    /// Resolves once `n` interrupts in all have come.
    pub async fn reached(&self, n: u32) {
        let mut count = self.count.clone();
        if count.wait_for(|count| *count >= n).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The signals that ask kfollow to stop, registered once so that none is missed between two.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn interrupts_are_counted_and_awaited_by_number() {
        let (interrupt, interrupts) = Interrupts::by_hand();
        assert_eq!(interrupts.received(), 0);
        interrupt();
        interrupts.reached(1).await;
        let second = tokio::time::timeout(Duration::from_secs(60), interrupts.reached(2));
        assert!(second.await.is_err(), "a second interrupt was seen");
        interrupt();
        interrupts.reached(2).await;
        assert_eq!(interrupts.received(), 2);
    }
}

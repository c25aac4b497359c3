//! A loopback TCP relay in front of the provider, which a test can cut or stall, and the tap that
//! counts (and can hold) the requests reaching the simulator behind it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpListener;

/// A loopback TCP relay in front of the simulator. [`Relay::cut`] closes every connection through
/// it and refuses new ones (the provider is "unreachable"); [`Relay::stall`] closes them and
/// accepts new ones that never get an answer (the provider hangs); [`Relay::restore`] reopens it.
pub struct Relay {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// What reaches the simulator through it.
    pub tap: Tap,
    mode: Arc<std::sync::atomic::AtomicU8>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    pub(crate) tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Relay {
    const UP: u8 = 0;
    const CUT: u8 = 1;
    const STALLED: u8 = 2;

    pub(crate) async fn start(target: SocketAddr) -> anyhow::Result<Self> {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let mode = Arc::new(std::sync::atomic::AtomicU8::new(Self::UP));
        let connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (flag, list) = (mode.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = match flag.load(Ordering::SeqCst) {
                    Self::CUT => continue, // Dropped at once: the connection is reset.
                    // Held open, never read nor answered, until the relay is cut or dropped.
                    Self::STALLED => tokio::spawn(async move {
                        let _held = inbound;
                        std::future::pending::<()>().await;
                    }),
                    _ => tokio::spawn(async move {
                        if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    }),
                };
                if let Ok(mut list) = list.lock() {
                    list.retain(|t| !t.is_finished());
                    list.push(task);
                }
            }
        });
        Ok(Relay { addr, tap: Tap::default(), mode, connections, tasks: std::sync::Mutex::new(vec![accept]) })
    }

    fn switch(&self, mode: u8) {
        self.mode.store(mode, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut list) = self.connections.lock() {
            list.drain(..).for_each(|t| t.abort());
        }
    }

    /// The provider becomes unreachable: open connections are closed, new ones dropped.
    pub fn cut(&self) {
        self.switch(Self::CUT);
    }

    /// The provider hangs: open connections are closed, new ones accepted and never answered.
    pub fn stall(&self) {
        self.switch(Self::STALLED);
    }

    /// The provider is reachable again.
    pub fn restore(&self) {
        self.mode.store(Self::UP, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.drain(..).for_each(|t| t.abort());
        }
    }
}

/// Every HTTP request that reaches the simulator (from the backend or a browser) is counted, and
/// the requests to one path can be held until released (a provider that takes its time).
#[derive(Clone)]
pub struct Tap(Arc<TapState>);

struct TapState {
    requests: std::sync::atomic::AtomicUsize,
    /// The path suffix whose requests wait, if any.
    hold: tokio::sync::watch::Sender<Option<String>>,
    /// How many requests were held so far.
    held: tokio::sync::watch::Sender<usize>,
}

impl Default for Tap {
    fn default() -> Self {
        Tap(Arc::new(TapState {
            requests: Default::default(),
            hold: tokio::sync::watch::Sender::new(None),
            held: tokio::sync::watch::Sender::new(0),
        }))
    }
}

impl Tap {
    /// How many requests reached the simulator so far.
    pub fn requests(&self) -> usize {
        self.0.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// From now on, requests whose path ends with `suffix` wait for [`Tap::release`].
    pub fn hold(&self, suffix: &str) {
        self.0.hold.send_replace(Some(suffix.to_owned()));
    }

    /// Lets the held requests (and every later one) through.
    pub fn release(&self) {
        self.0.hold.send_replace(None);
    }

    /// Waits until `count` requests in all have been held.
    pub async fn held(&self, count: usize) -> anyhow::Result<()> {
        let mut held = self.0.held.subscribe();
        held.wait_for(|n| *n >= count).await?;
        Ok(())
    }

    pub(crate) async fn pass(
        self,
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        self.0.requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut hold = self.0.hold.subscribe();
        let held = hold.borrow().as_deref().is_some_and(|suffix| request.uri().path().ends_with(suffix));
        if held {
            self.0.held.send_modify(|n| *n += 1);
            let _ = hold.wait_for(Option::is_none).await;
        }
        next.run(request).await
    }
}

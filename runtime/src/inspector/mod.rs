//! The web inspector: a page, served over HTTP on a local address, that shows the
//! collections of a database file, browses, filters, edits and deletes its objects,
//! imports and exports JSON, verifies the file, and updates as commits land.
//!
//! One server serves both ways of looking: [`Db::serve_inspector`] inside a running
//! app (the live instance, through [`Reader::of`]), and `insula inspect FILE` on a file
//! no app holds (through [`Reader::open_writable`] or [`Reader::open`]). Every request
//! carries a random token (the URL's `?token=`, then a cookie or the `X-Insula-Token`
//! header); every view is a JSON endpoint (listed in the README) that runs one short
//! read or write transaction. The page is plain HTML, CSS and JavaScript compiled into
//! the binary: nothing is fetched from anywhere else.

mod api;
mod http;

use crate::dynamic::Reader;
use crate::{Db, Error, Result};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running inspector: its server stops when this is dropped or [`Inspector::stop`]ped.
///
/// ```no_run
/// # use insula::prelude::*;
/// # #[derive(Collection, Debug, Default)]
/// # pub struct Note { #[id] pub id: Id, pub text: String }
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().collection::<Note>().open(dir.path())?;
/// let inspector = db.serve_inspector("127.0.0.1:0")?;
/// println!("inspect the database at {}", inspector.url());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Inspector {
    address: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("address", &self.address)
            .field("read_only", &self.shared.read_only)
            .finish_non_exhaustive()
    }
}

/// What the server's threads share.
struct Shared {
    reader: Reader,
    token: String,
    read_only: bool,
    stopping: AtomicBool,
    /// How many commits the change feed has seen, and its waiters.
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Shared {
    fn generation(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the generation is past `since`, for at most `timeout`, or the server
    /// stops; returns the generation then.
    fn wait_past(&self, since: u64, timeout: Duration) -> u64 {
        let generation = self.generation.lock().unwrap_or_else(PoisonError::into_inner);
        let (generation, _) = self
            .changed
            .wait_timeout_while(generation, timeout, |generation| {
                *generation <= since && !self.stopping.load(Ordering::Relaxed)
            })
            .unwrap_or_else(PoisonError::into_inner);
        *generation
    }

    fn bump(&self) {
        *self.generation.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.changed.notify_all();
    }
}

impl Inspector {
    /// Serves the inspector of `reader` on `address` (`"127.0.0.1:0"` picks a free
    /// port), from threads of its own, until the returned handle drops. With
    /// `read_only`, or a reader that cannot write, every write is refused.
    pub fn serve(reader: Reader, address: impl ToSocketAddrs, read_only: bool) -> Result<Inspector> {
        let listener = TcpListener::bind(address).map_err(|source| Error::Serve { source })?;
        let address = listener.local_addr().map_err(|source| Error::Serve { source })?;
        let shared = Arc::new(Shared {
            token: token(address),
            read_only: read_only || !reader.is_writable(),
            reader,
            stopping: AtomicBool::new(false),
            generation: Mutex::new(0),
            changed: Condvar::new(),
        });
        let spawn = |name: &str, run: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(run)
                .map_err(|source| Error::Serve { source })
        };
        // The change feed: every commit the reader hears of moves the generation on.
        let watcher = shared.reader.watch();
        let feed = Arc::clone(&shared);
        let feed = spawn(
            "insula-inspector-feed",
            Box::new(move || {
                while !feed.stopping.load(Ordering::Relaxed) {
                    match watcher.recv_timeout(Duration::from_millis(200)) {
                        Ok(()) => feed.bump(),
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
            }),
        )?;
        let server = Arc::clone(&shared);
        let accept = spawn("insula-inspector", Box::new(move || accept(listener, server)))?;
        Ok(Inspector { address, shared, threads: vec![feed, accept] })
    }

    /// The page's address, with the token: open it in a browser.
    pub fn url(&self) -> String {
        format!("http://{}/?token={}", self.address, self.shared.token)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The token every request must carry.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// Whether writes are refused.
    pub fn is_read_only(&self) -> bool {
        self.shared.read_only
    }

    /// Stops the server and waits for its threads and for the requests being answered
    /// (a change feed request that waits is answered at once; a request still
    /// arriving is answered 503 once it has).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        self.shared.changed.notify_all();
        // Wakes the accepting thread, which then sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        // Requests being answered hold the reader too (a request still arriving does
        // not); once they are done, dropping this drops it, and a file the reader opened
        // is closed cleanly. A change feed request answers at once.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.shared) > 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Db {
    /// Serves the web inspector of this instance on `address` (`"127.0.0.1:0"` picks a
    /// free port; serve on another address than the loopback only on purpose: anyone
    /// with the URL can read and change the data). It shows the live instance, every
    /// collection of its file included, and updates as the app commits; it writes
    /// unless the instance is read-only. The server stops when the returned
    /// [`Inspector`] drops; until then it holds a handle of the instance, which stays
    /// open. Needs the cargo feature `inspector`.
    pub fn serve_inspector(&self, address: impl ToSocketAddrs) -> Result<Inspector> {
        Inspector::serve(Reader::of(self), address, false)
    }
}

/// A token no one can guess from the address: std's randomly keyed hasher over the
/// time, the process and the address, twice.
fn token(address: SocketAddr) -> String {
    use std::hash::BuildHasher;
    let mut token = String::new();
    for round in 0..2u8 {
        let seed = (round, std::time::SystemTime::now(), std::process::id(), address);
        let hash = std::collections::hash_map::RandomState::new().hash_one(seed);
        token.push_str(&format!("{hash:016x}"));
    }
    token
}

/// Accepts connections until the server stops, each answered on a thread of its own.
fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::Relaxed) {
            break;
        }
        let Ok(stream) = stream else { continue };
        // A request holds the server (its reader) only once it has arrived, so a client
        // that never finishes sending one cannot keep the file open past a stop.
        let shared = Arc::downgrade(&shared);
        let _ = std::thread::Builder::new()
            .name("insula-inspector-request".to_owned())
            .spawn(move || api::answer(&shared, stream));
    }
}

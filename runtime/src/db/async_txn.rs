//! Async transactions: [`Db::read_txn`] and [`Db::write_txn`], the synchronous forms run
//! on a thread of the pool (`crate::pool`) and awaited on a oneshot (`crate::oneshot`).
//!
//! The synchronous form stays the one definition of a transaction: the async form only
//! moves it to another thread and carries its outcome back, a panic included. A future
//! dropped before the closure starts keeps it from starting; one dropped later lets the
//! transaction finish, as a whole, on its thread.

use super::database::Db;
use super::txn::{ReadTxn, WriteTxn, writing_here};
use crate::oneshot::{self, Sender};
use crate::{Error, Result};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// What a transaction's thread sends back: the closure's outcome, or its panic.
type Answer<R> = std::thread::Result<Result<R>>;

/// Why a transaction's closure returned without the caller's result.
enum Stopped {
    /// The transaction failed, or the closure returned this error.
    Failed(Error),
    /// The future was dropped before the closure started: it never runs.
    Cancelled,
}

impl From<Error> for Stopped {
    fn from(error: Error) -> Self {
        Stopped::Failed(error)
    }
}

impl Db {
    /// [`Db::read_txn_sync`] for async code: runs `f` in a read transaction on a thread
    /// of Insula's own, off the executor's threads, and resolves to what `f` returned.
    /// It needs no particular runtime: tokio, smol and `futures::executor` all await it.
    ///
    /// Nothing happens until the future is first polled. A panic in `f` is resumed in
    /// the task that awaits the future. Dropping the future before `f` starts means `f`
    /// never runs; dropping it after lets `f` run to its end, and its result is dropped.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// # futures::executor::block_on(async {
    /// let count = db.read_txn(|txn| txn.notes().count()).await?;
    /// assert_eq!(count, 0);
    /// # Ok::<(), insula::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_txn<R, F>(&self, f: F) -> impl Future<Output = Result<R>> + Send + 'static
    where
        F: FnOnce(&ReadTxn<'_>) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let db = self.clone();
        run(move |sender| {
            db.read_txn_sync_with_error(|txn| {
                if sender.is_cancelled() {
                    return Err(Stopped::Cancelled);
                }
                f(txn).map_err(Stopped::Failed)
            })
        })
    }

    /// [`Db::write_txn_sync`] for async code: runs `f` in a write transaction on a
    /// thread of Insula's own, off the executor's threads, and resolves to what `f`
    /// returned. The transaction commits when `f` returns `Ok` and aborts when it returns
    /// `Err` or panics; the panic is resumed in the task that awaits the future. Write
    /// transactions of an instance still run one at a time, but a task waiting for its
    /// turn holds no executor thread. It needs no particular runtime: tokio, smol and
    /// `futures::executor` all await it.
    ///
    /// Nothing happens until the future is first polled. Awaiting it on a thread that is
    /// inside a write transaction of the same instance (blocking on it in a
    /// `write_txn_sync` closure) resolves to [`Error::NestedTransaction`], as the
    /// synchronous form does, instead of waiting for itself forever.
    ///
    /// Cancellation: dropping the future before `f` starts (while it waits for an
    /// earlier write to finish, say) means `f` never runs and nothing is written.
    /// Dropping it after `f` started lets the transaction finish on its thread, as a
    /// whole: it commits if `f` returns `Ok`, and the result is dropped. Either way no
    /// half of a transaction is ever committed.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// # futures::executor::block_on(async {
    /// // The closure owns what it writes: it runs on another thread.
    /// let id = db
    ///     .write_txn(|txn| {
    ///         let mut note = Note { text: "hello".into(), ..Default::default() };
    ///         txn.notes().put(&mut note)?;
    ///         Ok(note.id)
    ///     })
    ///     .await?;
    /// assert_eq!(db.read_txn(move |txn| txn.notes().get(id)).await?.map(|note| note.text), Some("hello".into()));
    /// # Ok::<(), insula::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_txn<R, F>(&self, f: F) -> impl Future<Output = Result<R>> + Send + 'static
    where
        F: FnOnce(&WriteTxn<'_>) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let db = self.clone();
        async move {
            // The thread that polls would wait for its own transaction to end.
            if writing_here(&db.instance) {
                return Err(Error::NestedTransaction { instance: db.name().to_owned() });
            }
            run(move |sender| {
                db.write_txn_sync_with_error(|txn| {
                    // Checked with the write lock held: a future dropped while it waited
                    // for its turn writes nothing.
                    if sender.is_cancelled() {
                        return Err(Stopped::Cancelled);
                    }
                    f(txn).map_err(Stopped::Failed)
                })
            })
            .await
        }
    }
}

/// Runs `transaction` on a thread of the pool, once the returned future is polled, and
/// resolves to its outcome; `transaction` gets the sender only to ask whether the
/// future is still wanted.
async fn run<R: Send + 'static>(
    transaction: impl FnOnce(&Sender<Answer<R>>) -> std::result::Result<R, Stopped> + Send + 'static,
) -> Result<R> {
    let (sender, receiver) = oneshot::channel::<Answer<R>>();
    let job = move || {
        // A future dropped before its job reached a thread: nothing to begin.
        if sender.is_cancelled() {
            return;
        }
        match catch_unwind(AssertUnwindSafe(|| transaction(&sender))) {
            Ok(Ok(value)) => sender.send(Ok(Ok(value))),
            Ok(Err(Stopped::Failed(error))) => sender.send(Ok(Err(error))),
            // Nobody waits: the sender drops unheard.
            Ok(Err(Stopped::Cancelled)) => {}
            Err(panic) => sender.send(Err(panic)),
        }
    };
    crate::pool::run(Box::new(job)).map_err(|source| Error::TxnThread { source })?;
    match receiver.await {
        Some(Ok(outcome)) => outcome,
        Some(Err(panic)) => resume_unwind(panic),
        // The job catches every panic and answers unless the receiver is gone, so
        // this is the thread ending in a way that unwinding does not cover.
        None => Err(Error::TxnThread {
            source: std::io::Error::other("the transaction's thread ended without an answer"),
        }),
    }
}

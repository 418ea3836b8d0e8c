//! The one error type of Insula.

/// Everything that can go wrong in Insula.
///
/// Each message names what was involved (the collection, the field) and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Stored bytes could not be read: the record or file is damaged, or was not
    /// written by Insula.
    #[error(
        "collection `{collection}`: a stored record is corrupted ({reason}); restore the file from a backup"
    )]
    Corrupted {
        /// The stored name of the collection.
        collection: &'static str,
        /// What was wrong with the bytes.
        reason: crate::codec::Corrupt,
    },
    /// An object encodes to more than [`crate::MAX_RECORD_LEN`] bytes.
    #[error(
        "collection `{collection}`: an object encodes to {len} bytes, over the limit of {} bytes; store large blobs outside the database",
        crate::MAX_RECORD_LEN
    )]
    TooLarge {
        /// The stored name of the collection.
        collection: &'static str,
        /// The encoded length.
        len: usize,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

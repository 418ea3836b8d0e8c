//! `Box<E>` of an embedded struct: stored exactly as `E` (a nested record in the tail),
//! so that a struct can hold itself (`Option<Box<Self>>`), and a view that reads the
//! nested record when asked.
//!
//! A recursive struct's depth is the data's, not the type's, so reading and writing one
//! keep count of the levels on the thread: past [`MAX_NESTING`], a read gives
//! [`Corrupt`] and a write [`crate::Error::TooDeep`], never a stack overflow.

use super::{Corrupt, Required, Value};
use crate::Embedded;
use crate::schema::ValueType;
use std::cell::Cell;

/// How many `Box`es deep a stored object may nest embedded structs: a `put` of a deeper
/// one is refused with [`crate::Error::TooDeep`], and a record that nests deeper reads as
/// [`crate::Error::Corrupted`]. (It stays under the 128 levels that JSON input may nest,
/// so that every stored object can be exported and imported again.)
pub const MAX_NESTING: usize = 100;

thread_local! {
    /// The `Box` levels the thread is inside, reading or writing.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Whether a write on this thread met a level past [`MAX_NESTING`] since it was last
    /// asked ([`take_too_deep`]).
    static TOO_DEEP: Cell<bool> = const { Cell::new(false) };
}

/// One level of nesting, left when dropped (on an unwind too).
pub(crate) struct Level;

impl Level {
    /// Enters one more level, or `None` past [`MAX_NESTING`].
    pub(crate) fn enter() -> Option<Level> {
        DEPTH.with(|depth| {
            let levels = depth.get();
            (levels < MAX_NESTING).then(|| {
                depth.set(levels + 1);
                Level
            })
        })
    }

    /// [`Level::enter`], as a read's error.
    pub(crate) fn enter_read() -> Result<Level, Corrupt> {
        Level::enter().ok_or(Corrupt("embedded structs nest deeper than MAX_NESTING levels"))
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get() - 1));
    }
}

/// Whether a write on this thread nested past [`MAX_NESTING`] since the last call; the
/// object was then written without what lies deeper, and must not be stored.
pub(crate) fn take_too_deep() -> bool {
    TOO_DEEP.with(|flag| flag.replace(false))
}

impl<E: Embedded + Required> Value for Box<E> {
    const TYPE: ValueType<'static> = E::TYPE;
    type View<'a> = BoxView<'a, E>;

    fn encode(&self, out: &mut Vec<u8>, slot: usize, record: usize) {
        match Level::enter() {
            Some(_level) => (**self).encode(out, slot, record),
            None => TOO_DEEP.with(|flag| flag.set(true)),
        }
    }

    fn read<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<BoxView<'a, E>, Corrupt> {
        let _level = Level::enter_read()?;
        // Everything below is checked once here, so that `BoxView::get` cannot fail.
        E::read(slot, record)?;
        Ok(BoxView(Some((slot, record)), core::marker::PhantomData))
    }

    fn default_view<'a>() -> BoxView<'a, E> {
        BoxView(None, core::marker::PhantomData)
    }

    fn from_view(view: BoxView<'_, E>) -> Box<E> {
        Box::new(E::from_view(view.get()))
    }

    fn decode(slot: &[u8], record: &[u8]) -> Result<Box<E>, Corrupt> {
        let _level = Level::enter_read()?;
        E::decode(slot, record).map(Box::new)
    }
}

impl<E: Embedded + Required> Required for Box<E> {}

/// A stored `Box<E>`: the nested record of an `E`, checked when the view holding it was
/// made, and read when [`BoxView::get`] asks. A view of `E` cannot hold one of itself,
/// which is why a boxed field's view is this and not `E`'s view.
pub struct BoxView<'a, E: Embedded>(Option<(&'a [u8], &'a [u8])>, core::marker::PhantomData<fn() -> E>);

impl<'a, E: Embedded> BoxView<'a, E> {
    /// The view of the boxed struct.
    pub fn get(&self) -> E::View<'a> {
        match self.0 {
            // Checked when this view was made, so the read gives what it gave then; a
            // default stands in for the error that cannot come.
            Some((slot, record)) => E::read(slot, record).unwrap_or_else(|_| E::default_view()),
            None => E::default_view(),
        }
    }
}

impl<E: Embedded> Clone for BoxView<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: Embedded> Copy for BoxView<'_, E> {}

impl<E: Embedded> core::fmt::Debug for BoxView<'_, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.get().fmt(f)
    }
}

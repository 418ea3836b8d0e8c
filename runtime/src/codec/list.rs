//! `Vec<T>`: a tail reference to an array of element slots, each as wide as `T`'s slot;
//! strings and nested records of the elements follow in the tail.

use super::{Corrupt, Element, Required, Value, read_ref, write_ref};
use crate::schema::ValueType;

impl<T: Element> Value for Vec<T> {
    const TYPE: ValueType<'static> = ValueType::List(&T::ELEMENT);
    type View<'a> = ListView<'a, T>;

    fn encode(&self, out: &mut Vec<u8>, slot: usize, record: usize) {
        let start = out.len();
        write_ref(out, slot, start - record, self.len());
        out.resize(start + self.len() * T::WIDTH, 0);
        for (i, element) in self.iter().enumerate() {
            element.encode(out, start + i * T::WIDTH, record);
        }
    }

    fn read<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<ListView<'a, T>, Corrupt> {
        let (slots, len) = read_ref(slot, record, T::WIDTH)?;
        let list = ListView { slots, record, len, element: core::marker::PhantomData };
        // Every element is checked once here, so iterating later cannot fail.
        for i in 0..len {
            T::read(list.slot(i), record)?;
        }
        Ok(list)
    }

    fn default_view<'a>() -> Self::View<'a> {
        ListView { slots: &[], record: &[], len: 0, element: core::marker::PhantomData }
    }

    fn from_view(view: ListView<'_, T>) -> Vec<T> {
        view.iter().map(T::from_view).collect()
    }

    fn decode(slot: &[u8], record: &[u8]) -> Result<Vec<T>, Corrupt> {
        // `read_ref` checked that the slots lie inside the record, so `len` is bounded
        // by the record's size and the vector is allocated once, at its exact length.
        let (slots, len) = read_ref(slot, record, T::WIDTH)?;
        let mut list = Vec::with_capacity(len);
        for slot in slots.chunks_exact(T::WIDTH) {
            list.push(T::decode(slot, record)?);
        }
        Ok(list)
    }
}

impl<T: Element> Required for Vec<T> {}

/// The type of a list field: `Vec<T>`, or `Option<Vec<T>>`, whose `None` has no list and
/// meets no list condition (`is_empty` included).
pub trait List: Value {
    /// The type of the elements.
    type Item: Element;

    /// The list a view holds; `None` for an option's `None`.
    fn list<'a>(view: Self::View<'a>) -> Option<ListView<'a, Self::Item>>;
}

impl<T: Element> List for Vec<T> {
    type Item = T;

    fn list<'a>(view: Self::View<'a>) -> Option<ListView<'a, T>> {
        Some(view)
    }
}

impl<T: Element> List for Option<Vec<T>> {
    type Item = T;

    fn list<'a>(view: Self::View<'a>) -> Option<ListView<'a, T>> {
        view
    }
}

/// A stored `Vec<T>`, read in place: elements are read from the record as they are
/// visited, and nothing is allocated.
pub struct ListView<'a, T: Element> {
    slots: &'a [u8],
    record: &'a [u8],
    len: usize,
    element: core::marker::PhantomData<fn() -> T>,
}

impl<'a, T: Element> ListView<'a, T> {
    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The element at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<T::View<'a>> {
        if index < self.len { T::read(self.slot(index), self.record).ok() } else { None }
    }

    /// The elements, in order.
    pub fn iter(&self) -> ListIter<'a, T> {
        ListIter { list: *self, next: 0 }
    }

    /// The nested record of each element, for a list of embedded structs (whose slots
    /// refer to them).
    pub(crate) fn nested_records(&self) -> impl Iterator<Item = Result<&'a [u8], Corrupt>> + use<'a, T> {
        let (slots, record) = (self.slots, self.record);
        slots
            .chunks_exact(T::WIDTH.max(1))
            .take(self.len)
            .map(move |slot| read_ref(slot, record, 1).map(|(nested, _)| nested))
    }

    fn slot(&self, index: usize) -> &'a [u8] {
        let start = index * T::WIDTH;
        self.slots.get(start..start + T::WIDTH).unwrap_or(&[])
    }
}

impl<T: Element> Clone for ListView<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Element> Copy for ListView<'_, T> {}

impl<T: Element> core::fmt::Debug for ListView<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: Element> IntoIterator for ListView<'a, T> {
    type Item = T::View<'a>;
    type IntoIter = ListIter<'a, T>;

    fn into_iter(self) -> ListIter<'a, T> {
        self.iter()
    }
}

impl<'a, T: Element> PartialEq<[T::View<'a>]> for ListView<'a, T>
where
    T::View<'a>: PartialEq,
{
    fn eq(&self, other: &[T::View<'a>]) -> bool {
        self.len == other.len() && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

/// The iterator of a [`ListView`].
pub struct ListIter<'a, T: Element> {
    list: ListView<'a, T>,
    next: usize,
}

impl<'a, T: Element> Iterator for ListIter<'a, T> {
    type Item = T::View<'a>;

    fn next(&mut self) -> Option<T::View<'a>> {
        // `ListView::read` checked every element, so `get` finds each one.
        let item = self.list.get(self.next)?;
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.list.len - self.next;
        (left, Some(left))
    }
}

impl<T: Element> ExactSizeIterator for ListIter<'_, T> {}

impl<T: Element> core::fmt::Debug for ListIter<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ListIter").field("next", &self.next).field("len", &self.list.len).finish()
    }
}

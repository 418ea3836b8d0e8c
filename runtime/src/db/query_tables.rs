//! The bridge from queries to transactions: a collection's tables, open for a query,
//! and query watchers.

use super::Db;
use super::instance::{CollectionState, Instance};
use super::store::records_table;
use super::txn::ReadTxn;
use super::watchers::Interest;
use crate::guard::Contained;
use crate::query::Spec;
use crate::query::source::{IndexTable, Tables};
use crate::watch::Watcher;
use crate::{Collection, Id, Result};
use redb::{ReadOnlyTable, Table, TableDefinition};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

type ReadTables<'s> = Tables<
    's,
    ReadOnlyTable<u64, &'static [u8]>,
    ReadOnlyTable<&'static [u8], u64>,
    ReadOnlyTable<&'static [u8], ()>,
>;
type WriteTables<'t, 's> =
    Tables<'s, Table<'t, u64, &'static [u8]>, Table<'t, &'static [u8], u64>, Table<'t, &'static [u8], ()>>;

/// Opens a collection's records and index tables in `$txn`, a read or a write
/// transaction: their `open_table` methods differ in type, not in use.
macro_rules! open_tables {
    ($txn:expr, $state:expr) => {{
        let (txn, state) = ($txn, $state);
        let records = Contained::new(txn.open_table(records_table(state))?);
        let indexes = state
            .schema
            .indexes
            .iter()
            .zip(&state.indexes)
            .map(|(index, name)| {
                Ok(if index.unique {
                    IndexTable::Unique(Contained::new(
                        txn.open_table(TableDefinition::<&[u8], u64>::new(name))?,
                    ))
                } else {
                    IndexTable::Multi(Contained::new(
                        txn.open_table(TableDefinition::<&[u8], ()>::new(name))?,
                    ))
                })
            })
            .collect::<Result<_>>()?;
        Ok(Tables { state, records, indexes })
    }};
}

/// The tables of a collection, open in a read transaction.
pub(crate) fn read_tables<'s>(
    txn: &redb::ReadTransaction,
    state: &'s CollectionState,
) -> Result<ReadTables<'s>> {
    open_tables!(txn, state)
}

/// The tables of a collection, open in a write transaction.
pub(crate) fn write_tables<'t, 's>(
    txn: &'t redb::WriteTransaction,
    state: &'s CollectionState,
) -> Result<WriteTables<'t, 's>> {
    open_tables!(txn, state)
}

/// The ids of the objects that meet `spec`'s conditions, in the committed state.
fn matching_ids<C: Collection>(instance: &Instance, spec: &Spec<C>) -> Result<HashSet<Id>> {
    let state = instance.collection::<C>()?;
    let txn = ReadTxn::begin(instance)?;
    let records = txn.txn.open_table(records_table(state))?;
    let mut ids = HashSet::new();
    for entry in records.range::<u64>(..)? {
        let (id, record) = entry?;
        if spec.matches(id.value(), record.value(), &state.layouts)? {
            ids.insert(id.value());
        }
    }
    Ok(ids)
}

/// Whether object `id` meets `spec`'s conditions in the committed state.
fn matches_now<C: Collection>(instance: &Instance, spec: &Spec<C>, id: Id) -> Result<bool> {
    let state = instance.collection::<C>()?;
    let txn = ReadTxn::begin(instance)?;
    let records = txn.txn.open_table(records_table(state))?;
    match records.get(id)? {
        Some(record) => spec.matches(id, record.value(), &state.layouts),
        None => Ok(false),
    }
}

/// A watcher of a query: it fires after a commit that changed an object that met the
/// query's conditions before (it keeps the set of those ids) or meets them after, and
/// sends what `produce` makes from a read of the committed state.
pub(crate) fn watch_query<C: Collection, T: Send + 'static>(
    db: &Db,
    spec: Arc<Spec<C>>,
    produce: fn(&ReadTxn<'_>, &Spec<C>) -> Option<T>,
) -> Watcher<T> {
    let instance = &db.instance;
    // No commit may land between reading the matches and subscribing, or its change
    // would be missed: hold the commit lock, unless this thread is the one writing.
    let _serial = (!super::txn::writing_here(instance))
        .then(|| instance.write_lock.lock().unwrap_or_else(PoisonError::into_inner));
    let Ok(matched) = crate::guard::storage(&instance.path, || matching_ids(instance, &spec)) else {
        return super::watchers::Watchers::closed();
    };
    let matched = Mutex::new(matched);
    let touched_spec = Arc::clone(&spec);
    let touches = move |instance: &Instance, all: bool, ids: &[Id]| {
        let mut matched = matched.lock().unwrap_or_else(PoisonError::into_inner);
        if all {
            if let Ok(now) = matching_ids(instance, &touched_spec) {
                *matched = now;
            }
            return true;
        }
        let mut touched = false;
        for &id in ids {
            let was = matched.contains(&id);
            // A read failure counts as a change: better an extra event than a lost one.
            let now = matches_now(instance, &touched_spec, id).unwrap_or(true);
            if now {
                matched.insert(id);
            } else {
                matched.remove(&id);
            }
            touched |= was || now;
        }
        touched
    };
    let run = move |instance: &Instance| {
        let txn = ReadTxn::begin(instance).ok()?;
        produce(&txn, &spec)
    };
    let weak = Arc::downgrade(instance);
    let current_run = run.clone();
    let current = move || weak.upgrade().and_then(|instance| current_run(&instance));
    instance.watchers.subscribe(C::SCHEMA.name(), Interest::Query(Box::new(touches)), run, Box::new(current))
}

//! The inspector's routes: the page's three files, and a JSON endpoint for every view
//! (the README lists them with their parameters and answers). Each endpoint runs one
//! short read transaction (a snapshot of the [`Reader`](crate::dynamic::Reader)) or one
//! write transaction.

use super::Shared;
use super::http::{Request, Response, read_request};
use crate::dynamic::{AnyValue, Filter, Object, PageRequest, Position, Snapshot};
use crate::json::{Import, Writer};
use crate::schema::{FieldDef, SchemaDef, StoredType};
use crate::{Error, Id};
use serde_json::{Value, json};
use std::net::TcpStream;
use std::sync::Weak;
use std::time::Duration;

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// The name of the cookie that carries the token after the page loads.
const COOKIE: &str = "insula_token";
/// How long a change feed request waits for a commit before it answers anyway.
const FEED_WAIT: Duration = Duration::from_secs(20);
/// The most objects one page holds.
const MAX_PAGE: usize = 1000;

/// Reads a request from `stream` and answers it, if the server is still there.
pub(super) fn answer(shared: &Weak<Shared>, mut stream: TcpStream) {
    let response = match read_request(&stream) {
        Ok(request) => match shared.upgrade() {
            Some(shared) => route(&shared, &request),
            None => Response::error(503, "the inspector has stopped"),
        },
        Err(response) => response,
    };
    // The client may have gone; there is no one to tell.
    let _ = response.write(&mut stream);
}

/// What went wrong, as an answer: the status says whose fault it is.
fn failed(error: &Error) -> Response {
    let status = match error {
        Error::NoSuchCollection { .. } => 404,
        Error::FilterSyntax { .. } | Error::InvalidFilter { .. } | Error::Json { .. } => 400,
        Error::UniqueViolation { .. } => 409,
        Error::ReadOnly { .. } => 403,
        _ => 500,
    };
    Response::error(status, &error.to_string())
}

/// Whether `request` carries the token, in its query, its header or its cookie.
fn authorized(shared: &Shared, request: &Request) -> bool {
    let given = request
        .param("token")
        .or_else(|| request.header("x-insula-token"))
        .or_else(|| request.cookie(COOKIE));
    given.is_some_and(|given| {
        // The same time for every wrong token of the right length.
        given.len() == shared.token.len()
            && given.bytes().zip(shared.token.bytes()).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
    })
}

fn route(shared: &Shared, request: &Request) -> Response {
    if !authorized(shared, request) {
        return Response::error(403, "a missing or wrong token: open the URL the inspector printed");
    }
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let method = request.method.as_str();
    let result = match (segments.as_slice(), method) {
        ([], "GET") => Ok(Response { content_type: "text/html; charset=utf-8", ..Response::json(200, PAGE) }
            .with("Set-Cookie", format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", shared.token))),
        (["app.js"], "GET") => {
            Ok(Response { content_type: "text/javascript; charset=utf-8", ..Response::json(200, SCRIPT) })
        }
        (["app.css"], "GET") => {
            Ok(Response { content_type: "text/css; charset=utf-8", ..Response::json(200, STYLE) })
        }
        (["api", "info"], "GET") => info(shared),
        (["api", "changes"], "GET") => changes(shared, request),
        (["api", "verify"], "POST") => verify(shared),
        (["api", "collections", name, "schema"], "GET") => schema(shared, name),
        (["api", "collections", name, "objects"], "GET") => page(shared, request, name),
        (["api", "collections", name, "objects", id], "GET" | "PUT" | "PATCH" | "DELETE") => {
            match id.parse::<Id>() {
                Err(_) => Ok(Response::error(400, &format!("`{id}` is not an object id"))),
                Ok(id) => match method {
                    "GET" => object(shared, name, id),
                    "PUT" => writing(shared).and_then(|()| put(shared, request, name, id, false)),
                    "PATCH" => writing(shared).and_then(|()| put(shared, request, name, id, true)),
                    _ => writing(shared).and_then(|()| delete(shared, name, id)),
                },
            }
        }
        (["api", "collections", name, "delete"], "POST") => {
            writing(shared).and_then(|()| delete_where(shared, request, name))
        }
        (["api", "collections", name, "import"], "POST") => {
            writing(shared).and_then(|()| import(shared, request, name))
        }
        (["api", "collections", name, "export"], "GET") => export(shared, request, name),
        (path, _) => Ok(match allowed(path) {
            Some(allow) => Response::error(405, &format!("{method} is not allowed here; use {allow}"))
                .with("Allow", allow.to_owned()),
            None => Response::error(404, "no such page or endpoint"),
        }),
    };
    result.unwrap_or_else(|response| response)
}

/// The methods a known path takes, for a 405; `None` for an unknown path.
fn allowed(path: &[&str]) -> Option<&'static str> {
    Some(match path {
        [] | ["app.js" | "app.css"] | ["api", "info" | "changes"] => "GET",
        ["api", "verify"] => "POST",
        ["api", "collections", _, "schema" | "objects" | "export"] => "GET",
        ["api", "collections", _, "objects", _] => "GET, PUT, PATCH, DELETE",
        ["api", "collections", _, "delete" | "import"] => "POST",
        _ => return None,
    })
}

type Answer = Result<Response, Response>;

/// Refuses a write when the inspector is read-only.
fn writing(shared: &Shared) -> Result<(), Response> {
    if shared.read_only {
        return Err(Response::error(403, "the inspector is read-only: it cannot change the file"));
    }
    Ok(())
}

fn snapshot(shared: &Shared) -> Result<Snapshot, Response> {
    shared.reader.read().map_err(|error| failed(&error))
}

fn ok(value: Value) -> Answer {
    Ok(Response::json(200, value.to_string()))
}

/// The filter of `?filter=`, if given and not blank.
fn filter(request: &Request) -> Result<Option<Filter>, Response> {
    match request.param("filter").map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => Filter::parse(text).map(Some).map_err(|error| failed(&error)),
        None => Ok(None),
    }
}

/// `GET /api/info`: the file, and each collection with its count and sizes.
fn info(shared: &Shared) -> Answer {
    let snapshot = snapshot(shared)?;
    let stats = snapshot.stats().map_err(|error| failed(&error))?;
    let collections: Vec<Value> = stats
        .collections
        .iter()
        .map(|collection| {
            let indexes: Vec<Value> = collection
                .indexes
                .iter()
                .map(|index| {
                    json!({ "name": index.name, "unique": index.unique, "entries": index.entries, "bytes": index.bytes })
                })
                .collect();
            json!({
                "name": collection.name,
                "objects": collection.objects,
                "record_bytes": collection.record_bytes,
                "indexes": indexes,
            })
        })
        .collect();
    ok(json!({
        "path": shared.reader.path().display().to_string(),
        "format": crate::dynamic::FORMAT_VERSION,
        "file_bytes": stats.file_bytes,
        "free_bytes": stats.free_bytes,
        "read_only": shared.read_only,
        "generation": shared.generation(),
        "collections": collections,
    }))
}

/// `GET /api/changes?since=N`: answers once a commit lands after generation `N`, or after
/// 20 seconds, with the generation then.
fn changes(shared: &Shared, request: &Request) -> Answer {
    let since = match request.param("since") {
        Some(since) => since.parse::<u64>().map_err(|_| Response::error(400, "`since` is not a number"))?,
        None => shared.generation(),
    };
    ok(json!({ "generation": shared.wait_past(since, FEED_WAIT) }))
}

/// `POST /api/verify`: every record read and every index cross-checked.
fn verify(shared: &Shared) -> Answer {
    let snapshot = snapshot(shared)?;
    let names: Vec<String> = snapshot.collections().map(|schema| schema.name.clone()).collect();
    let mut results = Vec::new();
    for name in names {
        let checked = (|| {
            let mut objects = 0u64;
            for object in snapshot.records(&name)? {
                object?;
                objects += 1;
            }
            snapshot.verify(&name)?;
            Ok::<u64, Error>(objects)
        })();
        results.push(match checked {
            Ok(objects) => json!({ "name": name, "ok": true, "objects": objects }),
            Err(error) => json!({ "name": name, "ok": false, "error": error.to_string() }),
        });
    }
    let ok_all = results.iter().all(|result| result["ok"] == true);
    ok(json!({ "ok": ok_all, "collections": results }))
}

/// What the filter builder offers for a value of type `ty`.
fn kind(ty: &StoredType) -> &'static str {
    match ty {
        StoredType::Bool => "bool",
        StoredType::String => "string",
        StoredType::Bytes | StoredType::Array(_) => "bytes",
        StoredType::Timestamp | StoredType::Duration | StoredType::Date => "time",
        StoredType::Uuid => "uuid",
        StoredType::List(_) => "list",
        StoredType::Enum { .. } => "enum",
        StoredType::Embedded { .. } | StoredType::Recursive => "embedded",
        _ => "number",
    }
}

/// Every path a filter can name under `fields`, embedded structs flattened. A struct
/// that holds itself (`self`) is unfolded once, so the builder offers its next level
/// (`reply.text`); deeper paths are for the filter language.
fn paths(fields: &[FieldDef], prefix: &str, nullable: bool, unfold: bool, out: &mut Vec<Value>) {
    for field in fields {
        let path = format!("{prefix}{}", field.name);
        let nullable = nullable || field.nullable;
        let variants = match &field.ty {
            StoredType::Enum { variants, .. } => json!(variants),
            _ => Value::Null,
        };
        out.push(json!({
            "path": path,
            "type": field.ty.to_string(),
            "kind": kind(&field.ty),
            "nullable": nullable,
            "variants": variants,
        }));
        match &field.ty {
            StoredType::Embedded { fields: inner, .. } => {
                paths(inner, &format!("{path}."), nullable, true, out)
            }
            StoredType::Recursive if unfold => paths(fields, &format!("{path}."), nullable, false, out),
            _ => {}
        }
    }
}

fn schema_json(schema: &SchemaDef) -> Value {
    let fields: Vec<Value> = schema
        .fields
        .iter()
        .map(|field| json!({ "name": field.name, "type": field.ty.to_string(), "nullable": field.nullable }))
        .collect();
    let indexes: Vec<Value> = schema
        .indexes
        .iter()
        .map(|index| {
            json!({
                "name": index.name(),
                "fields": index.fields,
                "unique": index.unique,
                "replace": index.replace,
                "case_insensitive": index.case_insensitive,
            })
        })
        .collect();
    let mut filterable = vec![
        json!({ "path": schema.id, "type": "u64", "kind": "number", "nullable": false, "variants": null }),
    ];
    paths(&schema.fields, "", false, false, &mut filterable);
    json!({
        "name": schema.name,
        "id": schema.id,
        "hash": format!("{:#018x}", schema.hash),
        "fields": fields,
        "paths": filterable,
        "indexes": indexes,
        "lock": crate::schema::lock_text(std::slice::from_ref(schema)),
    })
}

/// `GET /api/collections/{name}/schema`.
fn schema(shared: &Shared, name: &str) -> Answer {
    let snapshot = snapshot(shared)?;
    let schema = snapshot.schema(name).map_err(|error| failed(&error))?;
    ok(schema_json(schema))
}

/// `value` as JSON text, in the mapping of [`crate::json`].
fn value_json(value: &AnyValue) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = crate::json::write_value(&mut out, value);
    String::from_utf8_lossy(&out).into_owned()
}

/// `objects` as a JSON array, in the mapping of [`crate::json`].
fn objects_json(id_name: &str, objects: &[Object]) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = (|| {
        let mut writer = Writer::new(&mut out, false)?;
        for object in objects {
            writer.write_object(id_name, object)?;
        }
        writer.finish()
    })();
    String::from_utf8_lossy(&out).into_owned()
}

/// A cursor's value read back from its JSON, as a value of type `ty` where the JSON
/// alone cannot tell (an `f32`, an enum's variant).
fn cursor_value(json: &Value, ty: Option<&StoredType>) -> AnyValue {
    let float = matches!(ty, Some(StoredType::F32 | StoredType::F64));
    match json {
        Value::Bool(value) => AnyValue::Bool(*value),
        Value::Number(number) => match (ty, number.as_u64(), number.as_i64()) {
            (Some(StoredType::F32), ..) => AnyValue::F32(number.as_f64().unwrap_or(f64::NAN) as f32),
            (Some(StoredType::F64), ..) => AnyValue::F64(number.as_f64().unwrap_or(f64::NAN)),
            (_, Some(value), _) => AnyValue::U64(value),
            (_, _, Some(value)) => AnyValue::I64(value),
            _ => AnyValue::F64(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) if float => {
            let value = match text.as_str() {
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                _ => f64::NAN,
            };
            match ty {
                Some(StoredType::F32) => AnyValue::F32(value as f32),
                _ => AnyValue::F64(value),
            }
        }
        Value::String(text) if matches!(ty, Some(StoredType::Enum { .. })) => AnyValue::Enum(text.clone()),
        Value::String(text) => AnyValue::String(text.clone()),
        _ => AnyValue::Null,
    }
}

/// The type at `path` in `schema`, if it names a field.
fn type_at<'s>(schema: &'s SchemaDef, path: &str) -> Option<&'s StoredType> {
    let mut fields = &schema.fields;
    let mut ty = None;
    for segment in path.split('.') {
        let field = fields.iter().find(|field| field.name == segment)?;
        ty = Some(&field.ty);
        if let StoredType::Embedded { fields: inner, .. } = &field.ty {
            fields = inner;
        }
    }
    ty
}

/// `GET /api/collections/{name}/objects?sort=&filter=&limit=&after_id=&after_value=`:
/// a page by key.
fn page(shared: &Shared, request: &Request, name: &str) -> Answer {
    let snapshot = snapshot(shared)?;
    let schema = snapshot.schema(name).map_err(|error| failed(&error))?;
    let limit = match request.param("limit") {
        Some(limit) => limit.parse::<usize>().map_err(|_| Response::error(400, "`limit` is not a number"))?,
        None => 50,
    }
    .clamp(1, MAX_PAGE);
    let mut page = PageRequest::new(limit);
    if let Some(sort) = request.param("sort").filter(|sort| !sort.is_empty()) {
        let (path, descending) = sort.strip_prefix('-').map_or((sort, false), |path| (path, true));
        page = page.sort(path, descending);
    }
    if let Some(filter) = filter(request)? {
        page = page.filter(filter);
    }
    if let Some(id) = request.param("after_id") {
        let id = id.parse::<Id>().map_err(|_| Response::error(400, "`after_id` is not an id"))?;
        let value = match request.param("after_value") {
            Some(text) => {
                let json: Value = serde_json::from_str(text)
                    .map_err(|error| Response::error(400, &format!("`after_value` is not JSON: {error}")))?;
                cursor_value(&json, page.sort.as_deref().and_then(|path| type_at(schema, path)))
            }
            None => AnyValue::U64(id),
        };
        page = page.after(Position { value, id });
    }
    let found = snapshot.page(name, &page).map_err(|error| failed(&error))?;
    let total = snapshot.count(name).map_err(|error| failed(&error))?;
    let next = match &found.next {
        Some(cursor) => format!("{{\"id\":{},\"value\":{}}}", cursor.id, value_json(&cursor.value)),
        None => "null".to_owned(),
    };
    Ok(Response::json(
        200,
        format!(
            "{{\"collection\":{},\"id\":{},\"total\":{total},\"generation\":{},\"next\":{next},\"objects\":{}}}",
            json!(name),
            json!(schema.id),
            shared.generation(),
            objects_json(&schema.id, &found.objects)
        ),
    ))
}

/// The object as JSON, or a 404.
fn object_answer(snapshot: &Snapshot, name: &str, id: Id) -> Answer {
    let schema = snapshot.schema(name).map_err(|error| failed(&error))?;
    match snapshot.get(name, id).map_err(|error| failed(&error))? {
        Some(object) => {
            let mut out = Vec::new();
            // Writing to a Vec cannot fail.
            let _ = (|| {
                let mut writer = Writer::new(&mut out, true)?;
                writer.write_object(&schema.id, &object)?;
                writer.finish()
            })();
            Ok(Response::json(200, out))
        }
        None => Err(Response::error(404, &format!("collection `{name}` has no object {id}"))),
    }
}

/// `GET /api/collections/{name}/objects/{id}`: the object's full JSON.
fn object(shared: &Shared, name: &str, id: Id) -> Answer {
    object_answer(&snapshot(shared)?, name, id)
}

/// `PUT /api/collections/{name}/objects/{id}`: replaces the object with the JSON of the
/// body (its id is the path's); `PATCH`: sets the fields the body names and keeps the
/// others (the object must exist). One write transaction; answers the object stored.
fn put(shared: &Shared, request: &Request, name: &str, id: Id, patch: bool) -> Answer {
    if id == 0 {
        return Err(Response::error(400, "0 is not an object id"));
    }
    let body: Value = serde_json::from_slice(&request.body)
        .map_err(|error| Response::error(400, &format!("the body is not JSON: {error}")))?;
    let Value::Object(given) = body else {
        return Err(Response::error(400, "the body is not a JSON object"));
    };
    let mut fields = if patch {
        // The stored object as JSON (every integer exact), with the given fields over it.
        let stored = object_answer(&snapshot(shared)?, name, id)?;
        match serde_json::from_slice(&stored.body) {
            Ok(Value::Object(fields)) => fields,
            _ => return Err(Response::error(500, "the stored object did not read back as JSON")),
        }
    } else {
        serde_json::Map::new()
    };
    fields.extend(given);
    let id_name = snapshot(shared)?.schema(name).map_err(|error| failed(&error))?.id.clone();
    fields.insert(id_name, json!(id));
    shared
        .reader
        .import_json(name, Value::Object(fields).to_string().as_bytes(), &Import::new())
        .map_err(|error| failed(&error))?;
    object_answer(&snapshot(shared)?, name, id)
}

/// `DELETE /api/collections/{name}/objects/{id}`.
fn delete(shared: &Shared, name: &str, id: Id) -> Answer {
    let deleted = shared.reader.delete(name, id).map_err(|error| failed(&error))?;
    ok(json!({ "deleted": u64::from(deleted) }))
}

/// `POST /api/collections/{name}/delete?filter=`: deletes what the query finds (every
/// object without a filter).
fn delete_where(shared: &Shared, request: &Request, name: &str) -> Answer {
    let filter = filter(request)?;
    let deleted = shared.reader.delete_where(name, filter.as_ref()).map_err(|error| failed(&error))?;
    ok(json!({ "deleted": deleted }))
}

/// `POST /api/collections/{name}/import?ignore_unknown_keys=1`: the body, JSON or
/// NDJSON, in one write transaction.
fn import(shared: &Shared, request: &Request, name: &str) -> Answer {
    let ignore = matches!(request.param("ignore_unknown_keys"), Some("1" | "true"));
    let options = Import::new().ignore_unknown_keys(ignore);
    let imported =
        shared.reader.import_json(name, request.body.as_slice(), &options).map_err(|error| failed(&error))?;
    ok(json!({ "imported": imported }))
}

/// `GET /api/collections/{name}/export?format=json|ndjson|csv&filter=&sort=`: the query's
/// objects, as a download.
fn export(shared: &Shared, request: &Request, name: &str) -> Answer {
    let snapshot = snapshot(shared)?;
    let schema = snapshot.schema(name).map_err(|error| failed(&error))?;
    let mut page = PageRequest::new(usize::MAX);
    if let Some(sort) = request.param("sort").filter(|sort| !sort.is_empty()) {
        let (path, descending) = sort.strip_prefix('-').map_or((sort, false), |path| (path, true));
        page = page.sort(path, descending);
    }
    if let Some(filter) = filter(request)? {
        page = page.filter(filter);
    }
    let objects = snapshot.page(name, &page).map_err(|error| failed(&error))?.objects;
    let format = request.param("format").unwrap_or("json");
    let mut out = Vec::new();
    let (content_type, extension) = match format {
        "json" | "ndjson" => {
            let lines = format == "ndjson";
            let written = (|| {
                let mut writer = Writer::new(&mut out, lines)?;
                for object in &objects {
                    writer.write_object(&schema.id, object)?;
                }
                writer.finish()
            })();
            written.map_err(|error| Response::error(500, &error.to_string()))?;
            ("application/json; charset=utf-8", format)
        }
        "csv" => {
            crate::dynamic::write_csv(&mut out, schema, objects.into_iter().map(Ok))
                .map_err(|error| failed(&error))?;
            ("text/csv; charset=utf-8", "csv")
        }
        other => {
            return Err(Response::error(400, &format!("no format `{other}`; use json, ndjson or csv")));
        }
    };
    Ok(Response { content_type, ..Response::json(200, out) }
        .with("Content-Disposition", format!("attachment; filename=\"{name}.{extension}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_that_holds_itself_is_unfolded_once_for_the_builder() {
        let ty = StoredType::parse("embedded Comment { reply: self?, text: string }").unwrap();
        let fields = [FieldDef { name: "first".into(), ty, nullable: false }];
        let mut out = Vec::new();
        paths(&fields, "", false, false, &mut out);
        let listed: Vec<(&str, &str, bool)> = out
            .iter()
            .map(|path| {
                (
                    path["path"].as_str().unwrap(),
                    path["kind"].as_str().unwrap(),
                    path["nullable"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("first", "embedded", false),
                ("first.reply", "embedded", true),
                ("first.reply.reply", "embedded", true),
                ("first.reply.text", "string", true),
                ("first.text", "string", false),
            ]
        );
    }
}

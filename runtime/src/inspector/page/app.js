// The Insula inspector's page: plain JavaScript, no build step, nothing fetched but the
// JSON endpoints of the server that served it (listed in the README).
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 50;

const state = {
  info: null,
  collection: null,
  schema: null,
  sort: "",          // "" (id), "field" or "-field"
  filter: "",        // the filter applied (the text box may hold an edit)
  pageStart: null,   // the cursor the shown page starts after; null for the first
  pageNumber: 1,
  next: null,        // the cursor of the next page
  rows: [],
  selected: null,
  generation: 0,
};

async function api(method, path, body, raw) {
  const response = await fetch(path, {
    method,
    headers: { "X-Insula-Token": token },
    body,
  });
  const text = await response.text();
  if (raw && response.ok) return text;
  let json = null;
  try { json = JSON.parse(text); } catch (_) { json = { error: text }; }
  if (!response.ok) {
    const error = new Error((json && json.error) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return json;
}

function collectionPath(name, rest) {
  return "/api/collections/" + encodeURIComponent(name) + "/" + rest;
}

function bytes(count) {
  if (count == null) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = count, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
}

function status(text) {
  const box = $("status");
  box.textContent = text;
  box.classList.add("show");
  clearTimeout(status.timer);
  status.timer = setTimeout(() => box.classList.remove("show"), 2500);
}

function showError(box, error) {
  const element = $(box);
  if (!error) { element.hidden = true; element.textContent = ""; return; }
  element.hidden = false;
  element.textContent = error.message || String(error);
}

// Collections ----------------------------------------------------------------------

async function loadInfo() {
  const info = await api("GET", "/api/info");
  state.info = info;
  $("live").classList.add("on");
  state.generation = Math.max(state.generation, info.generation);
  $("file").textContent = info.path;
  $("mode").textContent = info.read_only ? "read-only" : "read-write";
  $("mode").classList.toggle("read-only", info.read_only);
  document.body.classList.toggle("read-only", info.read_only);
  const list = $("collections");
  list.textContent = "";
  for (const collection of info.collections) {
    const item = document.createElement("li");
    item.dataset.name = collection.name;
    item.classList.toggle("active", collection.name === state.collection);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = collection.name;
    const meta = document.createElement("span");
    meta.className = "meta";
    const indexBytes = collection.indexes.reduce((sum, index) => sum + index.bytes, 0);
    meta.innerHTML = "";
    const count = document.createElement("span");
    count.className = "count";
    count.id = "count-" + collection.name;
    count.textContent = collection.objects.toLocaleString("en-US");
    meta.append(count, " objects · " + bytes(collection.record_bytes) + " records · " +
      bytes(indexBytes) + " in " + collection.indexes.length + " index" + (collection.indexes.length === 1 ? "" : "es"));
    item.append(name, meta);
    item.addEventListener("click", () => openCollection(collection.name));
    list.append(item);
  }
  $("file-stats").textContent = "file " + bytes(info.file_bytes) +
    (info.free_bytes != null ? ", about " + bytes(info.free_bytes) + " free" : "") + " · format " + info.format;
}

async function openCollection(name) {
  state.collection = name;
  state.sort = "";
  state.filter = "";
  state.pageStart = null;
  state.pageNumber = 1;
  $("filter-text").value = "";
  showError("filter-error", null);
  closeDetail();
  for (const item of $("collections").children) item.classList.toggle("active", item.dataset.name === name);
  $("empty").hidden = true;
  $("collection").hidden = false;
  $("collection-name").textContent = name;
  state.schema = await api("GET", collectionPath(name, "schema"));
  renderSchema();
  renderBuilder();
  await loadPage();
}

// Schema ---------------------------------------------------------------------------

function renderSchema() {
  const schema = state.schema;
  const fields = $("schema-fields").tBodies[0];
  fields.textContent = "";
  const idRow = fields.insertRow();
  idRow.insertCell().textContent = schema.id + " (id)";
  idRow.insertCell().textContent = "u64";
  idRow.insertCell().textContent = "";
  for (const field of schema.fields) {
    const row = fields.insertRow();
    row.insertCell().textContent = field.name;
    row.insertCell().textContent = field.type;
    row.insertCell().textContent = field.nullable ? "yes" : "";
  }
  const indexes = $("schema-indexes").tBodies[0];
  indexes.textContent = "";
  for (const index of schema.indexes) {
    const row = indexes.insertRow();
    row.insertCell().textContent = index.name;
    row.insertCell().textContent = index.fields.join(", ");
    row.insertCell().textContent = index.unique ? (index.replace ? "yes, replaces" : "yes") : "";
    row.insertCell().textContent = index.case_insensitive ? "yes" : "";
  }
  if (schema.indexes.length === 0) {
    const row = indexes.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 4;
    cell.className = "muted";
    cell.textContent = "no indexes";
  }
  $("schema-lock").textContent = schema.lock;
}

// Filter builder -------------------------------------------------------------------

const OPERATORS = {
  number: [["=", "="], ["!=", "≠"], [">", ">"], [">=", "≥"], ["<", "<"], ["<=", "≤"], ["between", "between"], ["in", "is one of"]],
  string: [["=", "="], ["!=", "≠"], ["starts_with", "starts with"], ["ends_with", "ends with"], ["contains", "contains"], ["in", "is one of"]],
  bool: [["= true", "is true"], ["= false", "is false"]],
  enum: [["=", "="], ["!=", "≠"], ["in", "is one of"]],
  uuid: [["=", "="], ["!=", "≠"], ["in", "is one of"]],
  time: [["=", "="], ["!=", "≠"], [">", ">"], [">=", "≥"], ["<", "<"], ["<=", "≤"], ["between", "between"]],
  list: [["contains", "contains"]],
  bytes: [],
  embedded: [],
};

function renderBuilder() {
  const select = $("fb-field");
  select.textContent = "";
  for (const path of state.schema.paths) {
    const operators = operatorsOf(path);
    if (operators.length === 0) continue;
    const option = document.createElement("option");
    option.value = path.path;
    option.textContent = path.path + "  (" + path.type + ")";
    select.append(option);
  }
  renderOperators();
}

function pathInfo(name) {
  return state.schema.paths.find((path) => path.path === name);
}

function operatorsOf(path) {
  const operators = (OPERATORS[path.kind] || []).slice();
  if (path.nullable) operators.push(["is none", "is none"], ["is not none", "is not none"]);
  return operators;
}

function renderOperators() {
  const path = pathInfo($("fb-field").value);
  const select = $("fb-op");
  select.textContent = "";
  if (!path) return;
  for (const [value, label] of operatorsOf(path)) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    select.append(option);
  }
  renderValueInput();
}

function renderValueInput() {
  const path = pathInfo($("fb-field").value);
  const op = $("fb-op").value;
  const input = $("fb-value");
  const needsValue = !(op.startsWith("is ") || op.startsWith("= true") || op.startsWith("= false"));
  input.disabled = !needsValue;
  input.type = path && path.kind === "number" && op !== "in" && op !== "between" ? "number" : "text";
  input.placeholder = !needsValue ? "" :
    op === "in" ? "values, comma-separated" :
    op === "between" ? "low, high" :
    path && path.kind === "enum" ? path.variants.join(" | ") : "value";
}

function literal(path, text) {
  text = text.trim();
  if (path.kind === "number" || (path.kind === "list" && /^-?\d/.test(text))) {
    if (!/^-?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)$/.test(text)) throw new Error("`" + text + "` is not a number");
    return text;
  }
  if (path.kind === "enum") return text;
  if (path.kind === "bool") return text === "true" ? "true" : "false";
  return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t") + '"';
}

function condition() {
  const path = pathInfo($("fb-field").value);
  const op = $("fb-op").value;
  const text = $("fb-value").value;
  if (op === "is none" || op === "is not none" || op === "= true" || op === "= false") return path.path + " " + op;
  if (op === "in") return path.path + " in [" + text.split(",").map((part) => literal(path, part)).join(", ") + "]";
  if (op === "between") {
    const parts = text.split(",");
    if (parts.length !== 2) throw new Error("between takes two values: low, high");
    return path.path + " between " + literal(path, parts[0]) + " and " + literal(path, parts[1]);
  }
  return path.path + " " + op + " " + literal(path, text);
}

function addCondition() {
  try {
    const clause = condition();
    const box = $("filter-text");
    box.value = box.value.trim() ? box.value.trim() + " and " + clause : clause;
    showError("filter-error", null);
    applyFilter();
  } catch (error) {
    showError("filter-error", error);
  }
}

async function applyFilter() {
  state.filter = $("filter-text").value.trim();
  state.pageStart = null;
  state.pageNumber = 1;
  await loadPage();
}

// Objects --------------------------------------------------------------------------

function pageQuery(start) {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (state.sort) params.set("sort", state.sort);
  if (state.filter) params.set("filter", state.filter);
  if (start) {
    params.set("after_id", String(start.id));
    params.set("after_value", JSON.stringify(start.value));
  }
  return params.toString();
}

async function loadPage(fresh) {
  if (!state.collection) return;
  let page;
  try {
    page = await api("GET", collectionPath(state.collection, "objects?" + pageQuery(state.pageStart)));
    showError("filter-error", null);
  } catch (error) {
    showError("filter-error", error);
    return;
  }
  const before = new Set(state.rows.map((row) => row[state.schema.id]));
  state.rows = page.objects;
  state.next = page.next;
  renderTable(fresh ? before : null);
  const shown = page.objects.length;
  $("summary").textContent = state.filter
    ? "filtered, of " + page.total.toLocaleString("en-US") + " objects"
    : page.total.toLocaleString("en-US") + " objects";
  $("page-info").textContent = "page " + state.pageNumber + " · " + shown + " shown";
  $("next-page").disabled = !page.next;
  $("first-page").disabled = !state.pageStart;
}

function cellText(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function renderTable(before) {
  const schema = state.schema;
  const columns = [{ name: schema.id, type: "u64" }].concat(schema.fields.map((field) => ({ name: field.name, type: field.type })));
  const head = $("objects").tHead;
  head.textContent = "";
  const headRow = head.insertRow();
  for (const column of columns) {
    const th = document.createElement("th");
    th.dataset.field = column.name;
    const sortedAsc = state.sort === column.name || (column.type === "id" && state.sort === "");
    const sortedDesc = state.sort === "-" + column.name;
    th.textContent = column.name + (sortedAsc ? " ▲" : sortedDesc ? " ▼" : "");
    const type = document.createElement("span");
    type.className = "type";
    type.textContent = column.type.length > 18 ? column.type.slice(0, 17) + "…" : column.type;
    th.append(type);
    th.classList.toggle("sorted", sortedAsc || sortedDesc);
    th.title = "sort by " + column.name;
    th.addEventListener("click", () => sortBy(column.name));
    headRow.append(th);
  }
  const body = $("objects").tBodies[0];
  body.textContent = "";
  for (const object of state.rows) {
    const row = body.insertRow();
    const id = object[schema.id];
    row.dataset.id = String(id);
    if (before && !before.has(id)) row.classList.add("fresh");
    if (state.selected === id) row.classList.add("selected");
    for (const column of columns) {
      const cell = row.insertCell();
      const value = object[column.name];
      cell.textContent = cellText(value);
      if (value === null) cell.className = "null";
      else if (typeof value === "number") cell.className = "num";
      cell.title = cellText(value);
      const field = schema.fields.find((field) => field.name === column.name);
      if (field && editable(field)) {
        cell.classList.add("editable");
        cell.dataset.field = field.name;
        cell.addEventListener("dblclick", (event) => { event.stopPropagation(); editCell(cell, id, field, value); });
      }
    }
    row.addEventListener("click", () => openObject(id));
  }
  if (state.rows.length === 0) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = columns.length;
    cell.className = "null";
    cell.textContent = state.filter ? "no object matches the filter" : "no objects";
  }
}

// A field edited in its cell: double-click, type, Enter saves (Escape leaves it).
function editable(field) {
  return !state.info.read_only && !/^(list|embedded)/.test(field.type) && field.type !== "bytes";
}

// The JSON of a cell's new value, numbers as typed (a JavaScript number would round
// integers above 2^53).
function cellJson(field, text) {
  if (field.nullable && text === "") return "null";
  if (field.type === "bool") {
    if (text !== "true" && text !== "false") throw new Error("`" + field.name + "` is true or false");
    return text;
  }
  if (/^[uif](8|16|32|64)$/.test(field.type)) {
    const number = text.trim();
    if (!/^-?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)$/.test(number)) throw new Error("`" + text + "` is not a number");
    return number;
  }
  return JSON.stringify(text);
}

function editCell(cell, id, field, value) {
  if (cell.querySelector("input")) return;
  const input = document.createElement("input");
  input.className = "cell-input";
  input.value = value === null ? "" : String(value);
  input.placeholder = field.nullable ? "empty for none" : "";
  cell.textContent = "";
  cell.classList.remove("null");
  cell.append(input);
  input.focus();
  input.select();
  input.addEventListener("click", (event) => event.stopPropagation());
  input.addEventListener("keydown", async (event) => {
    if (event.key === "Escape") { renderTable(null); return; }
    if (event.key !== "Enter") return;
    try {
      // Only this field is sent: the others stay as stored.
      const change = "{" + JSON.stringify(field.name) + ":" + cellJson(field, input.value) + "}";
      await api("PATCH", collectionPath(state.collection, "objects/" + id), change);
      status("saved " + field.name + " of #" + id);
      showError("filter-error", null);
      if (state.selected === id) await openObject(id);
      await refresh();
    } catch (error) {
      showError("filter-error", error);
    }
  });
}

async function sortBy(name) {
  // A click on the sorted column turns it around; sorting by id ascending is "".
  const current = state.sort || state.schema.id;
  state.sort = current === name ? "-" + name : name;
  if (state.sort === state.schema.id) state.sort = "";
  state.pageStart = null;
  state.pageNumber = 1;
  await loadPage();
}

async function nextPage() {
  if (!state.next) return;
  state.pageStart = state.next;
  state.pageNumber += 1;
  await loadPage();
}

async function firstPage() {
  state.pageStart = null;
  state.pageNumber = 1;
  await loadPage();
}

// One object -----------------------------------------------------------------------

async function openObject(id) {
  state.selected = id;
  for (const row of $("objects").tBodies[0].rows) row.classList.toggle("selected", row.dataset.id === String(id));
  // The text as the server wrote it: JSON.parse would round integers above 2^53.
  const text = await api("GET", collectionPath(state.collection, "objects/" + id), undefined, true);
  $("detail").hidden = false;
  $("detail-title").textContent = state.collection + " #" + id;
  $("detail-json").value = pretty(text);
  showError("detail-error", null);
}

function closeDetail() {
  state.selected = null;
  $("detail").hidden = true;
}

// JSON text indented, its numbers and strings left exactly as written.
function pretty(text) {
  let out = "", depth = 0, at = 0;
  const indent = () => "\n" + "  ".repeat(depth);
  while (at < text.length) {
    const c = text[at];
    if (c === '"') {
      let end = at + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      out += text.slice(at, end + 1);
      at = end + 1;
      continue;
    }
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      let next = at + 1;
      while (/\s/.test(text[next] || "")) next++;
      if (text[next] === close) { out += c + close; at = next + 1; continue; }
      depth++;
      out += c + indent();
    } else if (c === "}" || c === "]") {
      depth--;
      out += indent() + c;
    } else if (c === ",") {
      out += "," + indent();
    } else if (c === ":") {
      out += ": ";
    } else if (!/\s/.test(c)) {
      out += c;
    }
    at++;
  }
  return out;
}

async function saveObject() {
  const body = $("detail-json").value;
  try {
    JSON.parse(body);
  } catch (error) {
    showError("detail-error", new Error("not JSON: " + error.message));
    return;
  }
  try {
    // The text goes as it is, so that integers above 2^53 keep their digits.
    const saved = await api("PUT", collectionPath(state.collection, "objects/" + state.selected), body, true);
    $("detail-json").value = pretty(saved);
    showError("detail-error", null);
    status("saved #" + state.selected);
    await refresh();
  } catch (error) {
    showError("detail-error", error);
  }
}

async function deleteObject() {
  if (!confirm("Delete " + state.collection + " #" + state.selected + "?")) return;
  try {
    await api("DELETE", collectionPath(state.collection, "objects/" + state.selected));
    status("deleted #" + state.selected);
    closeDetail();
    await refresh();
  } catch (error) {
    showError("detail-error", error);
  }
}

// The query's results --------------------------------------------------------------

function exportQuery(format) {
  const params = new URLSearchParams({ format, token });
  if (state.sort) params.set("sort", state.sort);
  if (state.filter) params.set("filter", state.filter);
  location.href = collectionPath(state.collection, "export?" + params.toString());
}

async function deleteResults() {
  const what = state.filter ? "every object that matches `" + state.filter + "`" : "every object of " + state.collection;
  if (!confirm("Delete " + what + "?")) return;
  try {
    const params = new URLSearchParams();
    if (state.filter) params.set("filter", state.filter);
    const result = await api("POST", collectionPath(state.collection, "delete?" + params.toString()));
    status("deleted " + result.deleted + " objects");
    state.pageStart = null;
    state.pageNumber = 1;
    await refresh();
  } catch (error) {
    showError("filter-error", error);
  }
}

async function importFile(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  try {
    const result = await api("POST", collectionPath(state.collection, "import"), await file.text());
    status("imported " + result.imported + " objects");
    await refresh();
  } catch (error) {
    showError("filter-error", error);
  }
}

async function verify() {
  const box = $("verify-result");
  box.hidden = false;
  box.className = "notice";
  box.textContent = "verifying…";
  try {
    const result = await api("POST", "/api/verify");
    box.classList.toggle("bad", !result.ok);
    box.textContent = result.collections.map((collection) => collection.ok
      ? collection.name + ": " + collection.objects + " objects, every record and index entry checks out"
      : collection.name + ": " + collection.error).join(" · ") || "no collections";
  } catch (error) {
    box.classList.add("bad");
    box.textContent = error.message;
  }
}

// Live updates ---------------------------------------------------------------------

async function refresh() {
  await loadInfo();
  await loadPage(true);
}

async function follow() {
  // A long poll: the server answers once a commit lands, or after a while anyway.
  for (;;) {
    try {
      const result = await api("GET", "/api/changes?since=" + state.generation);
      $("live").classList.add("on");
      if (result.generation > state.generation) {
        state.generation = result.generation;
        $("live").classList.add("flash");
        setTimeout(() => $("live").classList.remove("flash"), 400);
        // Counts and rows refresh; the filter box keeps what is being typed, and a cell
        // being edited keeps its rows until it is saved or left.
        await (document.querySelector(".cell-input") ? loadInfo() : refresh());
      }
    } catch (error) {
      $("live").classList.remove("on");
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

// Wiring ---------------------------------------------------------------------------

function wire() {
  $("fb-field").addEventListener("change", renderOperators);
  $("fb-op").addEventListener("change", renderValueInput);
  $("fb-add").addEventListener("click", addCondition);
  $("apply-filter").addEventListener("click", applyFilter);
  $("filter-text").addEventListener("keydown", (event) => { if (event.key === "Enter") applyFilter(); });
  $("clear-filter").addEventListener("click", () => { $("filter-text").value = ""; applyFilter(); });
  $("next-page").addEventListener("click", nextPage);
  $("first-page").addEventListener("click", firstPage);
  $("close-detail").addEventListener("click", closeDetail);
  $("save-object").addEventListener("click", saveObject);
  $("delete-object").addEventListener("click", deleteObject);
  $("export-json").addEventListener("click", () => exportQuery("json"));
  $("export-csv").addEventListener("click", () => exportQuery("csv"));
  $("import-file").addEventListener("change", importFile);
  $("delete-results").addEventListener("click", deleteResults);
  $("verify").addEventListener("click", verify);
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tabs button")) other.classList.toggle("active", other === button);
      $("tab-objects").hidden = button.dataset.tab !== "objects";
      $("tab-schema").hidden = button.dataset.tab !== "schema";
    });
  }
}

async function start() {
  wire();
  try {
    await loadInfo();
    if (state.info.collections.length > 0) await openCollection(state.info.collections[0].name);
  } catch (error) {
    $("empty").textContent = error.message;
  }
  follow();
}

start();

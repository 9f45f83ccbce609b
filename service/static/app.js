// The chat page: questions, comparisons and precedent search against the aftaler API.
// Every piece of corpus or server text goes into the page as a text node (el() never sets innerHTML), so a
// passage containing "<script>" is shown, not run.

const MAX_HISTORY_TURNS = 20; // the API rejects more (schemas.MAX_HISTORY_TURNS)
const MAX_TURN_CHARS = 4000; // per-turn limit of the API (schemas.MAX_HISTORY_CHARS)
const TOP_K = 5;
const CONTEXT_WINDOW = 600;
const LIMITS = { ask: 2000, similar: 5000 };
const KIND_DA = { target: "mål", baseline: "udgangspunkt", actual: "faktisk" };
const SECTION_KIND_DA = {
  goal: "mål", activities: "aktiviteter", "follow-up": "opfølgning", background: "baggrund",
  indicators: "indikatorer", economy: "økonomi", other: "andet",
};
const FILTER_FIELDS = ["organisation", "unit", "year"];

const state = { mode: "ask", history: [], documents: [], busy: false, generation: 0 };

const $ = (selector) => document.querySelector(selector);

// -- DOM helpers -----------------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false || child === "") continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Text with the given [start, end) spans wrapped in <mark>; spans are clamped, sorted and merged first. */
function markedText(text, spans) {
  const clean = (spans || [])
    .map(([s, e]) => [Math.max(0, s), Math.min(text.length, e)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const span of clean) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  const nodes = [];
  let at = 0;
  for (const [s, e] of merged) {
    if (s > at) nodes.push(text.slice(at, s));
    nodes.push(el("mark", { text: text.slice(s, e) }));
    at = e;
  }
  if (at < text.length) nodes.push(text.slice(at));
  return nodes;
}

function sourceLine(source) {
  const parts = [source.document_title, source.unit, source.section].filter(Boolean);
  if (source.page) parts.push(`s. ${source.page}`);
  // A scanned page read by OCR: the reader should know the quote may hold misread characters.
  if (source.ocr) parts.push("scannet side, læst med OCR");
  return el("cite", { class: "source" }, `Kilde: ${parts.join(" · ")}`);
}

function clip(text, limit) {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

// -- API -------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.status = status;
  }
}

function formatDetail(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        if (typeof item === "string") return item;
        const where = (item.loc || []).filter((part) => part !== "body").join(".");
        return where ? `${where}: ${item.msg}` : item.msg;
      })
      .join("; ");
  }
  return detail ? JSON.stringify(detail) : "";
}

// The API key, when the server wants one: kept in sessionStorage, so it lives as long as the tab.
const KEY_STORAGE = "aftaler-api-key";

function authHeaders() {
  const key = sessionStorage.getItem(KEY_STORAGE);
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** Shows the key form with the server's reason; the request that failed is not retried by itself. */
function askForKey(reason) {
  $("#key-message").textContent = sessionStorage.getItem(KEY_STORAGE)
    ? `Nøglen blev afvist: ${reason}`
    : `Serveren kræver en API-nøgle. ${reason}`;
  $("#key-form").hidden = false;
  $("#api-key").focus();
}

async function api(path, { method = "GET", body } = {}) {
  let response;
  try {
    const headers = { ...authHeaders() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(`Kunne ikke kontakte serveren – kører den? (${error.message})`);
  }
  if (response.status === 401) {
    let detail = "";
    try {
      detail = formatDetail((await response.json()).detail);
    } catch {
      // no JSON body: the status says enough
    }
    askForKey(detail);
    throw new ApiError("Fejl 401: angiv en API-nøgle øverst på siden og prøv igen.", 401);
  }
  if (!response.ok) {
    let detail = "";
    try {
      detail = formatDetail((await response.json()).detail);
    } catch {
      // A body that is not JSON (a proxy's error page): the status line is all there is to show.
    }
    throw new ApiError(`Fejl ${response.status}: ${detail || response.statusText || "ingen forklaring fra serveren"}`);
  }
  return response.json();
}

function currentFilters() {
  const filters = {};
  for (const field of FILTER_FIELDS) {
    const value = $(`#filter-${field}`).value;
    if (value) filters[field] = value;
  }
  return Object.keys(filters).length ? filters : null;
}

// -- pieces of an answer ---------------------------------------------------------------------------------

/** A disclosure that fetches the passage in its document context the first time it is opened. */
function contextDisclosure(documentId, start, end) {
  const body = el("div", { class: "context-body" });
  const details = el("details", { class: "context" }, el("summary", { text: "Vis i kontekst" }), body);
  let loaded = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loaded) return;
    loaded = true;
    body.replaceChildren(el("p", { class: "loading", text: "Henter teksten ..." }));
    const query = new URLSearchParams({ start, end, window: CONTEXT_WINDOW });
    try {
      const context = await api(`/documents/${encodeURIComponent(documentId)}/context?${query}`);
      body.replaceChildren(renderContext(context));
      body.querySelector("mark")?.scrollIntoView({ block: "nearest" });
    } catch (error) {
      loaded = false; // closing and reopening tries again
      body.replaceChildren(el("p", { class: "error", role: "alert", text: error.message }));
    }
  });
  return details;
}

function renderContext(context) {
  const [start, end] = context.highlight;
  const text = context.text;
  return el(
    "div",
    {},
    el("p", { class: "context-meta" }, context.document_title, context.page ? ` · s. ${context.page}` : ""),
    el(
      "p",
      { class: "context-text" },
      context.offset > 0 ? "… " : "",
      text.slice(0, start),
      el("mark", { text: text.slice(start, end) }),
      text.slice(end),
      text.length - end >= CONTEXT_WINDOW ? " …" : "",
    ),
  );
}

function citationFigure(citation, passage) {
  const source = passage || { document_title: "ukendt kilde" };
  return el(
    "figure",
    { class: "citation", "data-passage-id": citation.passage_id },
    el("blockquote", { class: "quote", text: citation.quote }),
    el("figcaption", {}, sourceLine(source)),
    passage ? contextDisclosure(passage.document_id, citation.start, citation.end) : null,
  );
}

/** A table row quoted with its header row: shown as a small table, the cells verbatim, the source below. */
function quoteTable(citations, passages) {
  const cells = (quote) => quote.split("|").map((cell) => cell.trim());
  const last = citations[citations.length - 1];
  const passage = passages.get(last.passage_id);
  return el(
    "figure",
    { class: "citation", "data-passage-id": last.passage_id },
    el(
      "table",
      { class: "quote-table" },
      el("thead", {}, el("tr", {}, cells(citations[0].quote).map((cell) => el("th", { text: cell })))),
      el(
        "tbody",
        {},
        citations.slice(1).map((c) => el("tr", {}, cells(c.quote).map((cell) => el("td", { text: cell })))),
      ),
    ),
    el("figcaption", {}, sourceLine(passage || { document_title: "ukendt kilde" })),
    passage ? contextDisclosure(passage.document_id, last.start, last.end) : null,
  );
}

function passageCard(passage, highlights) {
  const kind = SECTION_KIND_DA[passage.section_kind];
  return el(
    "article",
    { class: "passage", "data-passage-id": passage.id },
    sourceLine(passage),
    kind ? el("span", { class: "tag", text: `Afsnitstype: ${kind}` }) : null,
    el("p", { class: "passage-text" }, markedText(passage.text, highlights)),
    contextDisclosure(passage.document_id, passage.start, passage.end),
  );
}

function refusal(message, passages, evidence) {
  const byId = new Map(passages.map((p) => [p.id, p]));
  const closest = evidence || [];
  return el(
    "div",
    { class: "refusal" },
    el("p", {
      class: "refusal-title",
      text: closest.length ? "Intet sikkert svar" : "Det kan jeg ikke finde i aftalerne",
    }),
    message ? el("p", { class: "answer-text", text: message }) : null,
    closest.length
      ? el(
          "section",
          { class: "evidence" },
          el("h3", { text: "Det nærmeste, aftalerne siger" }),
          el("div", { class: "citations" }, closest.map((c) => citationFigure(c, byId.get(c.passage_id)))),
        )
      : null,
    passages.length
      ? el(
          "details",
          { class: "nearest" },
          el("summary", { text: `Nærmeste passager (${passages.length})` }),
          passages.map((p) => passageCard(p)),
        )
      : null,
  );
}

// -- whole answers ---------------------------------------------------------------------------------------

function renderAnswer(response) {
  if (response.mode === "compare") return renderComparison(response);
  if (!response.answered) return [refusal(response.answer, response.passages, response.evidence)];
  const passages = new Map(response.passages.map((p) => [p.id, p]));
  return [
    response.standalone_question
      ? el("p", { class: "understood", text: `Forstået som: ${response.standalone_question}` })
      : null,
    el("p", { class: "answer-text", text: response.answer }),
    el("p", { class: "note answer-kind", text: ANSWER_KIND[response.mode] || ANSWER_KIND.extractive }),
    response.citations.length
      ? el(
          "div",
          { class: "citations" },
          isTableQuote(response.citations)
            ? quoteTable(response.citations, passages)
            : response.citations.map((c) => citationFigure(c, passages.get(c.passage_id))),
        )
      : null,
  ];
}

// Which kind of answer the staff member is reading: written by a language model and checked against the quotes,
// or the agreements' own words.
const ANSWER_KIND = {
  generated: "Formuleret af en sprogmodel og kontrolleret mod citaterne.",
  extractive: "Citeret ordret fra aftalerne.",
};

function isTableQuote(citations) {
  return citations.length >= 2 && citations.every((c) => c.quote.includes("|"));
}

const COMPARE_COLUMNS = [
  ["Enhed", (r) => r.unit],
  ["Organisation", (r) => r.organisation],
  ["Nøgletal", (r) => r.metric_label || r.metric],
  ["Værdi", (r) => r.value],
  ["Måleenhed", (r) => r.measure],
  ["Type", (r) => KIND_DA[r.kind] || r.kind],
  ["År", (r) => r.year],
  ["Citat", (r) => r.quote],
  ["Dokument", (r) => r.document_title],
  ["Afsnit", (r) => r.section],
  ["Side", (r) => (r.page ? String(r.page) : "")],
  // Added last, so a spreadsheet made from the export keeps its columns where they were.
  ["Parameter", (r) => r.label || ""],
];

function valueWithMeasure(row) {
  const value = row.value || "";
  return row.measure && !value.endsWith(row.measure) ? `${value} ${row.measure}` : value;
}

function renderComparison(response) {
  const rows = response.rows || [];
  if (!rows.length) return [refusal(response.answer, response.passages || [])];
  const table = el(
    "table",
    { class: "compare" },
    el("caption", { text: response.answer }),
    el(
      "thead",
      {},
      el("tr", {}, ["Enhed", "Nøgletal", "Værdi", "Type", "År", "Citat og kilde"].map((h) => el("th", { scope: "col", text: h }))),
    ),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, row.unit || "–", row.organisation ? el("span", { class: "sub", text: row.organisation }) : null),
          el("td", { text: row.metric_label || row.metric }),
          el("td", { class: "value", text: valueWithMeasure(row) }),
          el("td", { class: `kind kind-${row.kind}`, text: KIND_DA[row.kind] || row.kind }),
          el("td", { class: "year", text: row.year || "–" }),
          el(
            "td",
            { class: "quote-cell" },
            el("blockquote", { class: "quote", text: row.quote }),
            sourceLine(row),
            contextDisclosure(row.document_id, row.start, row.end),
          ),
        ),
      ),
    ),
  );
  return [
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Sammenligning" }, table),
    el("button", { type: "button", class: "secondary csv", onclick: () => downloadCsv(rows) }, "Hent som CSV"),
  ];
}

function csvCell(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[";\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// Semicolons and a byte-order mark: what Danish Excel opens correctly (commas are decimal marks there).
function downloadCsv(rows) {
  const lines = [COMPARE_COLUMNS.map(([header]) => header), ...rows.map((r) => COMPARE_COLUMNS.map(([, get]) => get(r)))];
  const text = `\ufeff${lines.map((line) => line.map(csvCell).join(";")).join("\r\n")}\r\n`;
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = el("a", { href: url, download: "sammenligning.csv", hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function renderSimilar(response) {
  if (!response.passages.length) {
    return [el("p", { class: "answer-text", text: "Ingen lignende formuleringer fundet i aftalerne." })];
  }
  return [
    el("p", { class: "answer-text", text: `${response.passages.length} passager med lignende formuleringer:` }),
    el("div", { class: "passages" }, response.passages.map((p) => passageCard(p, p.highlights))),
  ];
}

// -- conversation ----------------------------------------------------------------------------------------

function appendMessage(role, label, children) {
  $("#empty-hint").hidden = true;
  const item = el("li", { class: `message ${role}` }, el("article", { class: "bubble", "aria-label": label }, children));
  $("#log").append(item);
  item.scrollIntoView({ block: "nearest" });
  return item;
}

function setBusy(busy, message = "") {
  state.busy = busy;
  $("#send").disabled = busy;
  $("#log").setAttribute("aria-busy", String(busy));
  $("#status").replaceChildren(busy ? el("span", { class: "spinner", "aria-hidden": "true" }) : "", message);
}

async function submit() {
  const input = $("#question");
  const text = input.value.trim();
  if (!text || state.busy) return;
  const mode = state.mode;
  const generation = state.generation;
  appendMessage("user", mode === "ask" ? "Dit spørgsmål" : "Dit udkast", [
    mode === "similar" ? el("span", { class: "tag", text: "Udkast" }) : null,
    el("p", { class: "user-text", text }),
  ]);
  input.value = "";
  updateCount();
  setBusy(true, mode === "ask" ? "Søger i aftalerne ..." : "Finder lignende formuleringer ...");
  try {
    const filters = currentFilters();
    if (mode === "ask") {
      const history = state.history.slice(-MAX_HISTORY_TURNS);
      const response = await api("/ask", { method: "POST", body: { question: text, top_k: TOP_K, filters, history } });
      if (generation !== state.generation) return; // "Ny samtale" was clicked while waiting
      appendMessage("assistant", "Svar", renderAnswer(response));
      state.history.push(
        { role: "user", content: clip(text, MAX_TURN_CHARS) },
        { role: "assistant", content: clip(response.answer, MAX_TURN_CHARS) },
      );
    } else {
      const sectionKind = $("#section-kind").value || null;
      const body = { text, top_k: TOP_K, filters, section_kind: sectionKind };
      const response = await api("/similar", { method: "POST", body });
      if (generation !== state.generation) return;
      appendMessage("assistant", "Lignende formuleringer", renderSimilar(response));
    }
  } catch (error) {
    if (generation !== state.generation) return;
    appendMessage("error", "Fejl", el("p", { class: "error", role: "alert", text: error.message }));
    if (!input.value) input.value = text; // let the user correct and resend
    updateCount();
  } finally {
    if (generation === state.generation) setBusy(false);
    input.focus();
  }
}

function newConversation() {
  state.generation += 1;
  state.history = [];
  $("#log").replaceChildren();
  $("#empty-hint").hidden = false;
  setBusy(false);
  $("#status").textContent = "Ny samtale startet.";
  $("#question").focus();
}

function setMode(mode) {
  state.mode = mode;
  const input = $("#question");
  const similar = mode === "similar";
  $("#question-label").textContent = similar
    ? `Dit udkast – find hvordan andre aftaler formulerer det (op til ${LIMITS.similar} tegn)`
    : "Dit spørgsmål";
  input.maxLength = LIMITS[mode];
  input.rows = similar ? 6 : 3;
  $("#section-kind-label").hidden = !similar;
  updateCount();
  input.focus();
}

function updateCount() {
  $("#question-count").textContent = `${$("#question").value.length} / ${LIMITS[state.mode]}`;
}

// -- filters and start-up --------------------------------------------------------------------------------

function fillSelect(select, values) {
  const chosen = select.value;
  const sorted = [...new Set(values.filter(Boolean))].sort((a, b) => a.localeCompare(b, "da"));
  select.replaceChildren(el("option", { value: "", text: "Alle" }), ...sorted.map((v) => el("option", { value: v, text: v })));
  select.value = sorted.includes(chosen) ? chosen : "";
}

// Units follow the chosen organisation, so the select never offers a combination that matches nothing.
function refreshFilters() {
  const organisation = $("#filter-organisation").value;
  const docs = state.documents;
  fillSelect($("#filter-organisation"), docs.map((d) => d.organisation));
  fillSelect($("#filter-unit"), docs.filter((d) => !organisation || d.organisation === organisation).map((d) => d.unit));
  fillSelect($("#filter-year"), docs.map((d) => d.year));
}

async function loadDocuments() {
  try {
    state.documents = await api("/documents");
    refreshFilters();
  } catch (error) {
    $("#health").textContent = `Dokumentlisten kunne ikke hentes: ${error.message}`;
  }
}

async function loadHealth() {
  try {
    const health = await api("/health");
    $("#health").textContent = `${health.documents} aftaler · ${health.chunks} passager · model ${health.model}`;
  } catch (error) {
    $("#health").textContent = `Serveren svarer ikke: ${error.message}`;
  }
}

// -- keys and adding agreements ------------------------------------------------------------------------

async function loadRole() {
  try {
    const who = await api("/whoami");
    $("#key-form").hidden = true;
    $("#admin").hidden = who.role !== "admin";
    return true;
  } catch (error) {
    // Only a missing or refused key stops the page; any other failure shows up where data is loaded.
    $("#admin").hidden = true;
    return error.status !== 401;
  }
}

async function saveKey(event) {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (!key) {
    $("#key-message").textContent = "Skriv nøglen først.";
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  $("#api-key").value = "";
  if (await loadRole()) await loadDocuments();
}

/** Sends the files with upload progress (XMLHttpRequest reports it; fetch does not). */
function sendFiles(files, replace) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const file of files) form.append("files", file);
    const request = new XMLHttpRequest();
    request.open("POST", `/documents?replace=${replace}`);
    for (const [name, value] of Object.entries(authHeaders())) request.setRequestHeader(name, value);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) $("#upload-progress").value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener("load", () => {
      let body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // not JSON: reported by status below
      }
      if (request.status === 202) resolve(body);
      else reject(new ApiError(`Fejl ${request.status}: ${formatDetail(body.detail) || request.statusText}`));
    });
    request.addEventListener("error", () => reject(new ApiError("Kunne ikke kontakte serveren.")));
    request.send(form);
  });
}

const OUTCOME_DA = { stored: "gemt, venter på indeksering", indexed: "indekseret", failed: "fejlede" };
const STAGE_DA = { hash: "tjekker filer", ingest: "læser", embed: "indekserer", write: "gemmer" };

function showOutcomes(job) {
  $("#upload-outcomes").replaceChildren(
    ...job.files.map((file) =>
      el(
        "li",
        { class: `outcome ${file.status}`, "data-status": file.status },
        `${file.name}: ${OUTCOME_DA[file.status] || file.status}`,
        file.message ? ` – ${file.message}` : "",
      ),
    ),
  );
}

async function upload(event) {
  event.preventDefault();
  const files = [...$("#upload-files").files];
  if (!files.length) {
    $("#upload-status").textContent = "Vælg en eller flere filer først.";
    return;
  }
  $("#upload-send").disabled = true;
  $("#upload-progress").hidden = false;
  $("#upload-progress").value = 0;
  $("#upload-outcomes").replaceChildren();
  $("#upload-status").textContent = "Sender ...";
  try {
    let job = await sendFiles(files, $("#upload-replace").checked);
    showOutcomes(job);
    while (job.state === "queued" || job.state === "running") {
      const stage = STAGE_DA[job.stage] || "venter";
      $("#upload-status").textContent = job.total ? `${stage} ${job.done} / ${job.total}` : `${stage} ...`;
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await api(`/jobs/${encodeURIComponent(job.id)}`);
      showOutcomes(job);
    }
    $("#upload-status").textContent = job.state === "done" ? "Færdig: aftalerne kan nu søges i." : `Fejlede. ${job.error}`;
    $("#upload-form").dataset.done = job.state;
    await Promise.all([loadHealth(), loadDocuments()]);
  } catch (error) {
    $("#upload-status").textContent = error.message;
    $("#upload-form").dataset.done = "error";
  } finally {
    $("#upload-send").disabled = false;
    $("#upload-progress").hidden = true;
  }
}

function start() {
  const input = $("#question");
  $("#key-form").addEventListener("submit", saveKey);
  $("#upload-form").addEventListener("submit", upload);
  $("#ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", updateCount);
  $("#new-conversation").addEventListener("click", newConversation);
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => radio.checked && setMode(radio.value));
  }
  $("#filter-organisation").addEventListener("change", refreshFilters);
  setMode(document.querySelector('input[name="mode"]:checked').value);
  // Listeners are live before the lists arrive; data-ready tells tests (and nothing else) loading is over.
  Promise.all([loadHealth(), loadRole().then((ok) => ok && loadDocuments())]).finally(() => {
    document.body.dataset.ready = "true";
  });
}

start();

// The annotation page: keyboard-first, one request per answer; the server holds all state.
"use strict";

let state = null;
let judgeShown = false;
let busy = false;

const $ = (id) => document.getElementById(id);

async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const data = await resp.json();
  if (resp.status === 409) {
    show(data);
    message("That item was already answered; showing the current one.");
    return null;
  }
  if (!resp.ok) {
    message(data.error || ("error " + resp.status));
    return null;
  }
  return data;
}

function message(text) {
  $("message").textContent = text || "";
}

function renderLabels(labels) {
  const list = $("labels");
  if (list.childElementCount === labels.length) return;
  list.textContent = "";
  for (const l of labels) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.label = l.label;
    const kbd = document.createElement("kbd");
    kbd.textContent = l.key;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = " " + l.label.replace("_", " ");
    const def = document.createElement("span");
    def.className = "definition";
    def.textContent = l.definition;
    b.append(kbd, name, def);
    b.addEventListener("click", () => submit("label", l.label));
    li.append(b);
    list.append(li);
  }
}

function show(data) {
  state = data;
  $("loading").hidden = true;
  $("title").textContent = data.title + " · annotate as " + data.annotator;
  const p = data.progress;
  $("progress").textContent = p.labelled + " labelled of " + p.target + " · " + p.skipped +
    " skipped · " + p.remaining + " to go";
  renderLabels(data.labels);
  $("undo").disabled = !data.can_undo;
  const item = data.item;
  $("item").hidden = !item;
  $("done").hidden = !!item;
  $("out").textContent = data.out;
  judgeShown = false;
  $("judge-label").hidden = true;
  if (!item) return;
  $("item-id").textContent = item.id;
  $("item-model").textContent = item.model;
  $("prompt").textContent = item.prompt;
  $("response").textContent = item.response;
  const img = $("image");
  img.hidden = false;
  img.onerror = () => { img.hidden = true; };
  img.src = item.image;
  $("note").value = "";
}

async function submit(action, label) {
  if (busy || !state || !state.item) return;
  busy = true;
  try {
    const data = await call("POST", "/api/answer", {
      token: state.item.token, action, label, note: $("note").value,
    });
    if (data) { message(""); show(data); }
  } finally {
    busy = false;
  }
}

async function undo() {
  if (busy) return;
  busy = true;
  try {
    const data = await call("POST", "/api/undo", {});
    if (data) { message("Undone: the last answer was retracted."); show(data); }
  } finally {
    busy = false;
  }
}

function toggleJudge() {
  if (!state || !state.item) return;
  judgeShown = !judgeShown;
  const el = $("judge-label");
  el.hidden = !judgeShown;
  el.textContent = "Judge: " + (state.item.judge_label || "no judge label in the predictions");
}

document.addEventListener("keydown", (ev) => {
  if (ev.target === $("note")) {
    if (ev.key === "Escape") $("note").blur();
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const hit = state && state.labels.find((l) => l.key === ev.key);
  if (hit) { ev.preventDefault(); submit("label", hit.label); return; }
  const k = ev.key.toLowerCase();
  if (k === "s") { ev.preventDefault(); submit("skip", null); }
  else if (k === "u" || ev.key === "Backspace") { ev.preventDefault(); undo(); }
  else if (k === "j") { ev.preventDefault(); toggleJudge(); }
  else if (k === "n") { ev.preventDefault(); $("note").focus(); }
});

$("skip").addEventListener("click", () => submit("skip", null));
$("undo").addEventListener("click", undo);
$("judge").addEventListener("click", toggleJudge);

call("GET", "/api/state").then((data) => { if (data) show(data); });

"use strict";
/* Findings explorer: filters every finding of the audit (window.AK_FINDINGS, written by
   auditkit/report/pages.py) by severity, category, rule, project, pipeline, text and "new since
   the previous audit". Filters live in the URL hash, so other pages link to a filtered view. */
window.akData("AK_FINDINGS").then(function (data) {
  const $ = (sel) => document.querySelector(sel);
  const PAGE = 50;
  const F = Object.fromEntries(data.fields.map((f, i) => [f, i]));
  const rows = data.findings;
  const state = { severity: new Set(), category: "", rule: "", project: "", pipeline: "", q: "", isNew: false, waived: false, page: 0 };

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function counts(field) {
    const m = new Map();
    rows.forEach((r) => { const v = r[F[field]]; if (v) m.set(v, (m.get(v) || 0) + 1); });
    return [...m.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  }
  function fillSelect(id, field, label) {
    const sel = $(id);
    sel.innerHTML = `<option value="">all ${label}</option>` +
      counts(field).map(([v, n]) => `<option value="${esc(v)}">${esc(v)} (${n})</option>`).join("");
  }
  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    state.severity = new Set((params.get("severity") || "").split(",").filter(Boolean));
    ["category", "rule", "project", "pipeline", "q"].forEach((k) => { state[k] = params.get(k) || ""; });
    state.isNew = params.get("new") === "1";
    state.waived = params.get("waived") === "1";
    state.page = 0;
  }
  function writeHash() {
    const p = new URLSearchParams();
    if (state.severity.size) p.set("severity", [...state.severity].join(","));
    ["category", "rule", "project", "pipeline", "q"].forEach((k) => { if (state[k]) p.set(k, state[k]); });
    if (state.isNew) p.set("new", "1");
    if (state.waived) p.set("waived", "1");
    const text = p.toString().replace(/%2C/g, ",");
    history.replaceState(null, "", text ? "#" + text : location.pathname);
  }
  function syncControls() {
    document.querySelectorAll("[data-severity]").forEach((b) => b.setAttribute("aria-pressed", state.severity.has(b.dataset.severity) ? "true" : "false"));
    ["category", "rule", "project"].forEach((k) => { $("#f-" + k).value = state[k].includes(",") ? "" : state[k]; });
    $("#f-pipeline").value = state.pipeline;
    $("#f-q").value = state.q;
    $("#f-new").checked = state.isNew;
    $("#f-waived").checked = state.waived;
  }
  function matches(r) {
    if (state.severity.size && !state.severity.has(r[F.severity])) return false;
    if (state.category && !state.category.split(",").includes(r[F.category])) return false;
    if (state.rule && r[F.rule] !== state.rule) return false;
    if (state.project && r[F.project] !== state.project) return false;
    if (state.pipeline && r[F.pipeline] !== state.pipeline) return false;
    if (state.isNew && !r[F.new]) return false;
    if (!state.waived && r[F.waived]) return false;
    if (state.q) {
      const q = state.q.toLowerCase();
      const text = [r[F.rule], r[F.message], r[F.path], r[F.pipeline], r[F.project]].join(" ").toLowerCase();
      if (!text.includes(q)) return false;
    }
    return true;
  }
  function para(text) {
    return esc(text).split(/\n\s*\n/).map((p) => `<p>${p.replace(/`([^`]+)`/g, "<code>$1</code>")}</p>`).join("");
  }
  function card(r) {
    const rule = data.rules[r[F.rule]] || { title: r[F.rule], why: "", fix: "" };
    const where = r[F.path] ? r[F.path] + (r[F.line] != null ? ":" + r[F.line] : "") : "";
    const parts = where ? [esc(where)] : [];
    if (r[F.project]) parts.push("project " + esc(r[F.project]));
    if (r[F.pipeline]) {
      parts.push(`pipeline <a href="pipelines.html#p=${encodeURIComponent((r[F.project] ? r[F.project] + "/" : "") + r[F.pipeline])}">${esc(r[F.pipeline])}</a>`);
    }
    return `<div class="ak-finding" data-severity="${esc(r[F.severity])}" data-rule="${esc(r[F.rule])}">
<div><span class="ak-sev ak-sev-${esc(r[F.severity])}">${esc(r[F.severity])}</span>
 <a href="#rule=${encodeURIComponent(r[F.rule])}"><strong>${esc(r[F.rule])}</strong></a> ${esc(rule.title)}
 ${r[F.new] ? '<span class="ak-new">new</span>' : ""}${r[F.waived] ? ' <span class="ak-muted">(waived)</span>' : ""}</div>
<div>${esc(r[F.message])}</div>
<div class="ak-where">${parts.join(" · ")}</div>
<details><summary>Why it matters and how to fix it</summary><h4>Why it matters</h4>${para(rule.why)}<h4>Fix</h4>${para(rule.fix)}</details>
</div>`;
  }
  function render() {
    const shown = rows.filter(matches);
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    const slice = shown.slice(state.page * PAGE, (state.page + 1) * PAGE);
    // The total matches the index: waived findings count only when they are shown.
    const total = state.waived ? rows.length : rows.filter((r) => !r[F.waived]).length;
    $("#ak-count").textContent = `${shown.length.toLocaleString("en")} of ${total.toLocaleString("en")} findings`;
    $("#ak-list").innerHTML = slice.length ? slice.map(card).join("") : '<p class="ak-empty">No finding matches these filters.</p>';
    $("#ak-page").textContent = `page ${state.page + 1} of ${pages}`;
    $("#ak-prev").disabled = state.page === 0;
    $("#ak-next").disabled = state.page >= pages - 1;
  }
  function update() { writeHash(); render(); }

  $("#ak-severities").innerHTML = data.severities.map((s) => {
    const n = rows.filter((r) => r[F.severity] === s && !r[F.waived]).length;
    return `<button type="button" class="ak-chip" data-severity="${s}" aria-pressed="false"><span class="ak-sev ak-sev-${s}">${s}</span> ${n}</button>`;
  }).join("");
  fillSelect("#f-category", "category", "categories");
  fillSelect("#f-rule", "rule", "rules");
  fillSelect("#f-project", "project", "projects");
  $("#f-pipelines").innerHTML = counts("pipeline").map(([v]) => `<option value="${esc(v)}">`).join("");
  if (!data.has_previous) { $("#f-new").disabled = true; $("#f-new").parentElement.title = "no previous audit was given"; }

  document.querySelectorAll("[data-severity]").forEach((b) => b.addEventListener("click", () => {
    const s = b.dataset.severity;
    if (state.severity.has(s)) state.severity.delete(s); else state.severity.add(s);
    state.page = 0; syncControls(); update();
  }));
  ["category", "rule", "project"].forEach((k) => $("#f-" + k).addEventListener("change", (e) => { state[k] = e.target.value; state.page = 0; update(); }));
  $("#f-pipeline").addEventListener("change", (e) => { state.pipeline = e.target.value.trim(); state.page = 0; update(); });
  $("#f-q").addEventListener("input", (e) => { state.q = e.target.value.trim(); state.page = 0; update(); });
  $("#f-new").addEventListener("change", (e) => { state.isNew = e.target.checked; state.page = 0; update(); });
  $("#f-waived").addEventListener("change", (e) => { state.waived = e.target.checked; state.page = 0; update(); });
  $("#ak-clear").addEventListener("click", () => { history.replaceState(null, "", location.pathname); readHash(); syncControls(); render(); });
  $("#ak-prev").addEventListener("click", () => { state.page -= 1; render(); });
  $("#ak-next").addEventListener("click", () => { state.page += 1; render(); });
  window.addEventListener("hashchange", () => { readHash(); syncControls(); render(); });
  readHash(); syncControls(); render();
  document.body.dataset.ready = "1";
});

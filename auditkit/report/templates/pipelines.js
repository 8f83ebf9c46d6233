"use strict";
/* Pipeline pages: one page per pipeline drawn from window.AK_PIPELINES (auditkit/report/pages.py):
   its DAG from the edges, block sizes, findings (window.AK_FINDINGS) and runs. Without a
   "#p=<project>/<pipeline>" hash the page lists every pipeline with search and paging. */
Promise.all([window.akData("AK_PIPELINES"), window.akData("AK_FINDINGS")]).then(function (loaded) {
  const [data, found] = loaded;
  const fdata = found || { fields: [], findings: [], rules: {} };
  const F = Object.fromEntries(fdata.fields.map((f, i) => [f, i]));
  const $ = (sel) => document.querySelector(sel);
  const PAGE = 50;
  const SEV = ["critical", "high", "medium", "low", "info"];
  let listPage = 0;

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  const keyOf = (p) => p.project + "/" + p.pipeline;
  const byKey = new Map(data.pipelines.map((p) => [keyOf(p), p]));
  const findingsBy = new Map();
  fdata.findings.forEach((r) => {
    if (!r[F.pipeline] || r[F.waived]) return;
    const k = r[F.project] + "/" + r[F.pipeline];
    if (!findingsBy.has(k)) findingsBy.set(k, []);
    findingsBy.get(k).push(r);
  });
  function sevCounts(list) {
    const c = {}; (list || []).forEach((r) => { c[r[F.severity]] = (c[r[F.severity]] || 0) + 1; }); return c;
  }
  function badges(list) {
    const c = sevCounts(list);
    return SEV.filter((s) => c[s]).map((s) => `<span class="ak-sev ak-sev-${s}" title="${s}">${c[s]}</span>`).join(" ");
  }
  const pct = (v) => (v == null ? "" : (v * 100).toFixed(v < 0.1 ? 1 : 0) + "%");
  function dur(s) {
    if (s == null) return "";
    if (s < 60) return Math.round(s) + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  function find(key) {
    if (byKey.has(key)) return byKey.get(key);
    return data.pipelines.find((p) => p.pipeline === key) || null;
  }

  /* Layered drawing: a block's column is its longest path from a root (cycles: after the rest). */
  function dag(p) {
    const n = p.blocks.length;
    if (!n) return '<p class="ak-empty">No blocks.</p>';
    const ups = Array.from({ length: n }, () => []);
    const indeg = new Array(n).fill(0);
    const downs = Array.from({ length: n }, () => []);
    p.edges.forEach(([u, d]) => { downs[u].push(d); ups[d].push(u); indeg[d] += 1; });
    const layer = new Array(n).fill(-1);
    const queue = [];
    indeg.forEach((v, i) => { if (v === 0) { queue.push(i); layer[i] = 0; } });
    const left = indeg.slice();
    while (queue.length) {
      const i = queue.shift();
      downs[i].forEach((d) => { layer[d] = Math.max(layer[d], layer[i] + 1); left[d] -= 1; if (left[d] === 0) queue.push(d); });
    }
    const top = Math.max(0, ...layer);
    layer.forEach((v, i) => { if (v < 0) layer[i] = top + 1; });
    const columns = [];
    layer.forEach((l, i) => { (columns[l] = columns[l] || []).push(i); });
    const W = 180, H = 40, GX = 60, GY = 14, pos = [];
    columns.forEach((col, c) => (col || []).forEach((i, r) => { pos[i] = [12 + c * (W + GX), 12 + r * (H + GY)]; }));
    const width = 24 + columns.length * (W + GX) - GX;
    const height = 24 + Math.max(...columns.map((col) => (col || []).length)) * (H + GY) - GY;
    const lines = p.edges.map(([u, d]) => {
      const [x1, y1] = [pos[u][0] + W, pos[u][1] + H / 2], [x2, y2] = [pos[d][0], pos[d][1] + H / 2];
      const mx = (x1 + x2) / 2;
      return `<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#ak-arrow)"/>`;
    }).join("");
    const nodes = p.blocks.map(([name, type, lines], i) => {
      const color = data.colors[type] || data.colors.other;
      const label = name.length > 26 ? name.slice(0, 25) + "…" : name;
      return `<g><title>${esc(name)} (${esc(type)}${lines != null ? ", " + lines + " lines" : ""})</title>
<rect x="${pos[i][0]}" y="${pos[i][1]}" width="${W}" height="${H}" rx="6" fill="#fff" stroke="${color}" stroke-width="2"/>
<rect x="${pos[i][0]}" y="${pos[i][1]}" width="6" height="${H}" rx="3" fill="${color}"/>
<text x="${pos[i][0] + 12}" y="${pos[i][1] + 16}">${esc(label)}</text>
<text x="${pos[i][0] + 12}" y="${pos[i][1] + 31}" fill="#59636e">${esc(type)}${lines != null ? " · " + lines + " lines" : ""}</text></g>`;
    }).join("");
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="dependency graph">
<defs><marker id="ak-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/></marker></defs>${lines}${nodes}</svg>`;
  }

  function sizes(p) {
    const rows = p.blocks.filter((b) => b[2] != null).sort((a, b) => b[2] - a[2]);
    if (!rows.length) return '<p class="ak-empty">No block files with code.</p>';
    const scale = Math.max(data.block_max, ...rows.map((b) => b[2]));
    const body = rows.map(([name, type, lines, path]) => {
      const color = data.colors[type] || data.colors.other;
      const over = lines > data.block_max ? ' <span class="ak-sev ak-sev-high">over limit</span>' : "";
      return `<tr><td>${esc(name)}</td><td>${esc(type)}</td><td class="ak-num">${lines.toLocaleString("en")}</td>
<td style="min-width:220px"><span class="ak-bar" style="width:${Math.max(2, Math.round(200 * lines / scale))}px;background:${color}"></span>${over}</td><td>${esc(path)}</td></tr>`;
    }).join("");
    return `<div class="ak-table-wrap"><table class="ak-table"><thead><tr><th>Block</th><th>Type</th><th>Lines of code</th>
<th>Size (limit ${data.block_max})</th><th>File</th></tr></thead><tbody>${body}</tbody></table></div>`;
  }

  function findingList(p) {
    const list = (findingsBy.get(keyOf(p)) || []).slice().sort((a, b) => SEV.indexOf(a[F.severity]) - SEV.indexOf(b[F.severity]));
    const link = `explorer.html#project=${encodeURIComponent(p.project)}&pipeline=${encodeURIComponent(p.pipeline)}`;
    if (!list.length) return `<p class="ak-empty">No findings name this pipeline.</p>`;
    const body = list.map((r) => `<tr><td><span class="ak-sev ak-sev-${r[F.severity]}">${r[F.severity]}</span></td>
<td><a href="explorer.html#rule=${encodeURIComponent(r[F.rule])}&pipeline=${encodeURIComponent(p.pipeline)}">${esc(r[F.rule])}</a></td>
<td>${esc(r[F.message])}</td><td>${esc(r[F.path] ? r[F.path] + (r[F.line] != null ? ":" + r[F.line] : "") : "")}</td></tr>`).join("");
    return `<p class="ak-links"><a href="${link}">Open these ${list.length} findings in the explorer</a> (with each rule's why and fix)</p>
<div class="ak-table-wrap"><table class="ak-table"><thead><tr><th>Severity</th><th>Rule</th><th>Message</th><th>Where</th></tr></thead><tbody>${body}</tbody></table></div>`;
  }

  function runs(p) {
    const r = p.runs;
    if (!data.has_history) return '<p class="ak-empty">No run history was given.</p>';
    if (!r) return '<p class="ak-empty">The run history has no runs of this pipeline.</p>';
    const fact = (v, label) => `<div><b>${v === "" || v == null ? "–" : v}</b><span>${label}</span></div>`;
    return `<div class="ak-facts">${fact((r.runs || 0).toLocaleString("en"), "pipeline runs")}${fact((r.failed || 0).toLocaleString("en"), "failed runs")}
${fact(pct(r.failure_rate), "failure rate")}${fact(dur(r.p50_s), "median duration")}${fact(dur(r.p95_s), "95th percentile duration")}
${fact(r.retries != null ? r.retries.toLocaleString("en") : "", "automatic block retries")}${fact(r.reruns != null ? r.reruns.toLocaleString("en") : "", "block runs rerun by hand")}
${fact(r.peak, "most runs at once")}${fact(r.limit != null ? r.limit : "none", "run limit")}${fact(r.over_limit ? "yes" : "no", "over its limit")}</div>`;
  }

  function detail(p) {
    const list = findingsBy.get(keyOf(p)) || [];
    document.title = p.pipeline + " · auditkit";
    return `<p><a href="pipelines.html">&larr; all pipelines</a></p><h1>${esc(p.pipeline)}</h1>
<p class="ak-muted">Project ${esc(p.project)} · ${esc(p.type)} pipeline · ${esc(p.path)}</p>
<div class="ak-facts"><div><b>${p.blocks.length}</b><span>blocks</span></div><div><b>${p.depth ?? "–"}</b><span>levels deep</span></div>
<div><b>${p.width ?? "–"}</b><span>widest level</span></div><div><b>${list.length}</b><span>findings ${badges(list)}</span></div></div>
<h2>Dependency graph</h2><p class="ak-muted">Upstream blocks on the left; each block's colour is its type.</p><div class="ak-dag">${dag(p)}</div>
<h2>Block sizes</h2>${sizes(p)}<h2>Findings</h2>${findingList(p)}<h2>Runs, failures, retries and concurrency</h2>${runs(p)}`;
  }

  function renderList() {
    const q = ($("#p-q").value || "").trim().toLowerCase();
    const shown = data.pipelines.filter((p) => !q || keyOf(p).toLowerCase().includes(q) || (p.type || "").includes(q));
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    listPage = Math.min(listPage, pages - 1);
    const rows = shown.slice(listPage * PAGE, (listPage + 1) * PAGE).map((p) => {
      const r = p.runs || {};
      return `<tr><td><a href="#p=${encodeURIComponent(keyOf(p))}">${esc(p.pipeline)}</a></td><td>${esc(p.project)}</td><td>${esc(p.type)}</td>
<td class="ak-num">${p.blocks.length}</td><td class="ak-num">${p.depth ?? ""}</td><td>${badges(findingsBy.get(keyOf(p)))}</td>
<td class="ak-num">${r.runs != null ? r.runs.toLocaleString("en") : ""}</td><td class="ak-num">${pct(r.failure_rate)}</td></tr>`;
    }).join("");
    $("#p-count").textContent = `${shown.length.toLocaleString("en")} of ${data.pipelines.length.toLocaleString("en")} pipelines`;
    $("#p-rows").innerHTML = rows || '<tr><td colspan="8" class="ak-empty">No pipeline matches.</td></tr>';
    $("#p-page").textContent = `page ${listPage + 1} of ${pages}`;
    $("#p-prev").disabled = listPage === 0;
    $("#p-next").disabled = listPage >= pages - 1;
  }

  function route() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const key = params.get("p");
    const p = key ? find(key) : null;
    $("#p-list").hidden = !!p;
    $("#p-detail").hidden = !p;
    if (p) { $("#p-detail").innerHTML = detail(p); window.scrollTo(0, 0); }
    else { document.title = "Pipelines · auditkit"; renderList(); if (key) $("#p-count").textContent = `No pipeline "${key}" in this audit.`; }
  }
  $("#p-q").addEventListener("input", () => { listPage = 0; renderList(); });
  $("#p-prev").addEventListener("click", () => { listPage -= 1; renderList(); });
  $("#p-next").addEventListener("click", () => { listPage += 1; renderList(); });
  window.addEventListener("hashchange", route);
  route();
  document.body.dataset.ready = "1";
});

// pmkg triage page: plain JavaScript over pmkg's own HTTP API (no library, nothing fetched from elsewhere).
// The API key lives in sessionStorage for this tab only and travels in the X-API-Key header, never in a URL.
'use strict';

(function () {
  const KEY_STORE = 'pmkg.apiKey';
  const LABEL_COLOURS = {
    Drug: '#1f77b4', Disease: '#d62728', Gene: '#2ca02c', Pathway: '#9467bd', Anatomy: '#8c564b',
    PharmacologicClass: '#e377c2', SideEffect: '#7f7f7f', Phenotype: '#bcbd22', GOTerm: '#17becf',
    Variant: '#ff7f0e', SequenceFeature: '#aec7e8', Patient: '#000000',
  };
  const FALLBACK_COLOUR = '#999999';
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // Timings the bench reads (bench/bench_ui.py): click to rendered, per kind. No key, no patient data.
  window.pmkgTimings = [];

  const state = {
    key: null, card: null, disease: null, diseaseCard: null, candidates: [], modelVersion: null,
    sort: { key: 'rank', dir: 1 }, selected: new Set(), pair: null, explanation: null, drug: null,
    patient: null,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name === 'class') node.className = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  const pct = (p, digits = 2) => (p === null || p === undefined ? 'n/a' : `${(100 * p).toFixed(digits)}%`);
  const prob = (p) => (p === null || p === undefined ? 'n/a' : p < 0.001 ? p.toExponential(2) : p.toFixed(3));
  const fixed = (x, d = 3) => (x === null || x === undefined ? 'n/a' : Number(x).toFixed(d));

  // ---- API ---------------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function explain(status, body) {
    const detail = body && body.detail ? body.detail : '';
    if (status === 401) return `The service refused the API key (${detail || 'unauthorised'}). Enter a valid key.`;
    if (status === 404) return detail || 'Not found.';
    if (status === 413) return `Too large for this service: ${detail || 'the request body is over its limit'}.`;
    if (status === 422) return detail || 'The service could not accept that input.';
    if (status === 429 || status === 503) {
      return `The service cannot answer right now: ${detail || 'busy or the graph is unreachable'}. Try again shortly.`;
    }
    if (status === 502) return `The graph answered with an error: ${detail}`;
    return `The service answered ${status}${detail ? `: ${detail}` : ''}.`;
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = { 'X-API-Key': state.key, Accept: 'application/json' };
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let response;
    try {
      response = await fetch(path, {
        method: opts.method || 'GET', headers, body, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
      });
    } catch (exc) {
      throw new ApiError(0, `Cannot reach the pmkg service at ${window.location.origin}: is \`pmkg serve\` running?`);
    }
    let data = null;
    try { data = await response.json(); } catch (exc) { data = null; }
    if (response.status === 401 && !opts.probe) lockOut(explain(401, data));
    if (!response.ok) throw new ApiError(response.status, explain(response.status, data));
    return data;
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) search.set(k, String(v));
    return search.toString();
  }

  const enc = encodeURIComponent;

  function status(message, isError) {
    const node = $('status');
    node.textContent = message || '';
    node.classList.toggle('error', Boolean(isError));
  }

  function fail(exc) {
    if (exc instanceof ApiError && exc.status === 401) return;
    status(exc.message || String(exc), true);
  }

  // ---- key -----------------------------------------------------------------------------------------------------

  function lockOut(message) {
    sessionStorage.removeItem(KEY_STORE);
    state.key = null;
    $('app').hidden = true;
    $('forget-key').hidden = true;
    $('key-panel').hidden = false;
    $('key-error').textContent = message || '';
    $('key-input').value = '';
    $('key-input').focus();
  }

  async function unlock(key, fromStorage) {
    state.key = key;
    try {
      state.card = await api('/v1/ui/model-card', { probe: true });
    } catch (exc) {
      state.key = null;
      if (exc.status === 401) {
        lockOut(fromStorage ? 'The key saved for this tab is no longer accepted; enter it again.' :
          'The service refused this key: it is not one of the keys this pmkg service was started with ' +
          '(PMKG_API_KEYS). Check it, or ask whoever runs the service for a key.');
      } else {
        $('key-panel').hidden = false;
        $('key-error').textContent = exc.message;
      }
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    $('key-error').textContent = '';
    $('key-panel').hidden = true;
    $('app').hidden = false;
    $('forget-key').hidden = false;
    state.modelVersion = state.card.model_version;
    renderModelLine();
    renderAbout();
    $('disease-q').focus();
  }

  function externalText(card) {
    const ext = card.external;
    if (!ext || ext.auroc === null || ext.auroc === undefined) {
      return 'no external validation yet (run pmkg evaluate --external)';
    }
    const ci = ext.auroc_lo !== null && ext.auroc_hi !== null ? ` [${fixed(ext.auroc_lo)}, ${fixed(ext.auroc_hi)}]` : '';
    const prior = ext.degree_prior_auroc !== null && ext.degree_prior_auroc !== undefined ?
      `; degree prior ${fixed(ext.degree_prior_auroc)}` : '';
    return `external AUROC ${fixed(ext.auroc)}${ci} on ${ext.indication_list || 'an independent list'}${prior}`;
  }

  function renderModelLine() {
    const card = state.card;
    $('model-line').textContent = `Model ${card.model_version} · ${externalText(card)}`;
  }

  function renderAbout() {
    const card = state.card;
    const rows = [
      ['Model version', card.model_version],
      ['Scores', `${card.drugs} candidate drugs × ${card.diseases} diseases`],
      ['Probabilities', card.calibrated ? 'calibrated (Platt scaling at the real prevalence)' : 'not calibrated'],
      ['Graph', card.graph_matches_training ? 'the graph the model was trained on' :
        'edges changed since training: scores are the model applied to today\'s graph'],
      ['External validation', externalText(card)],
    ];
    if (card.cross_validation) {
      const cv = card.cross_validation;
      const part = (name) => (cv[name] ? `${name} ${fixed(cv[name].mean)} ± ${fixed(cv[name].sd)}` : null);
      rows.push([`Cross-validation (${cv.folds} folds)`, ['auroc', 'mrr', 'recall@100'].map(part).filter(Boolean).join(', ')]);
    } else if (card.test) {
      rows.push(['Held-out test', Object.entries(card.test).map(([k, v]) => `${k} ${fixed(v)}`).join(', ')]);
    }
    rows.push(['Patient model', card.patient_model || 'none loaded (pmkg serve --patient-model DIR)']);
    const table = el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'Model card' }),
      el('tbody', null, rows.map(([k, v]) => el('tr', null, el('th', { scope: 'row', text: k }), el('td', { text: v })))));
    $('about-model').replaceChildren(table, el('p', { class: 'notice', text: card.notice }));
  }

  // ---- tabs ----------------------------------------------------------------------------------------------------

  function showTab(tab, focus) {
    for (const other of document.querySelectorAll('[role=tab]')) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute('aria-controls')).hidden = !selected;
    }
    if (focus) tab.focus();
  }

  function initTabs() {
    const tabs = Array.from(document.querySelectorAll('[role=tab]'));
    for (const tab of tabs) {
      tab.addEventListener('click', () => showTab(tab, false));
      tab.addEventListener('keydown', (event) => {
        const i = tabs.indexOf(tab);
        let next = null;
        if (event.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
        else if (event.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (event.key === 'Home') next = tabs[0];
        else if (event.key === 'End') next = tabs[tabs.length - 1];
        if (next) { event.preventDefault(); showTab(next, true); }
      });
    }
  }

  // ---- search (diseases and drugs) ------------------------------------------------------------------------------

  function hitBadges(hit, label) {
    const badges = [];
    if (hit.treats > 0) badges.push(el('span', { class: 'badge treats', text: `${hit.treats} known ${label === 'Disease' ? 'drugs' : 'diseases'}` }));
    if (hit.palliates > 0) badges.push(el('span', { class: 'badge palliates', text: `${hit.palliates} palliative` }));
    if (hit.zero_shot) {
      badges.push(el('span', { class: 'badge zero', text: label === 'Disease' ? 'no known drug (zero-shot)' : 'no known indication' }));
    }
    if (!hit.scored) badges.push(el('span', { class: 'badge novel', text: 'not scored by the model' }));
    return badges;
  }

  function renderHits(container, body, label, onPick) {
    container.hidden = false;
    if (!body.hits.length) {
      container.replaceChildren(el('p', { text: `No ${label.toLowerCase()} matches “${body.query}”. Try part of the name, a synonym, or an id such as ${label === 'Disease' ? 'DOID:1612' : 'DRUGBANK:DB00675'}.` }));
      return;
    }
    const list = el('ul', { class: 'hits', 'aria-label': `${label} matches` });
    for (const hit of body.hits) {
      const how = hit.matched_by === 'name' ? null : `matched ${hit.matched_by}: ${hit.matched}`;
      list.append(el('li', null,
        el('button', { type: 'button', class: 'link hit', dataset: { id: hit.id }, onclick: () => onPick(hit.id) },
          hit.name || hit.id),
        el('span', { class: 'ids', text: hit.id }), how ? el('span', { class: 'ids', text: how }) : null,
        hitBadges(hit, label)));
    }
    container.replaceChildren(el('h2', { text: `${body.hits.length} ${label.toLowerCase()} match${body.hits.length === 1 ? '' : 'es'}` }), list);
  }

  async function searchDiseases(text) {
    status('');
    try {
      const body = await api(`/v1/ui/diseases?${query({ q: text, k: 20 })}`);
      renderHits($('disease-hits'), body, 'Disease', (id) => selectDisease(id, performance.now()));
      if (body.hits.length === 1) selectDisease(body.hits[0].id, performance.now());
    } catch (exc) { fail(exc); }
  }

  async function searchDrugs(text) {
    status('');
    try {
      const body = await api(`/v1/ui/drugs?${query({ q: text, k: 20 })}`);
      renderHits($('drug-hits'), body, 'Drug', (id) => selectDrug(id));
      if (body.hits.length === 1) selectDrug(body.hits[0].id);
    } catch (exc) { fail(exc); }
  }

  // ---- disease view ---------------------------------------------------------------------------------------------

  function statusOf(row) {
    if (row.known) return 'treats';
    if (state.diseaseCard && state.diseaseCard.palliates.has(row.drug_id)) return 'palliates';
    return 'novel';
  }

  async function selectDisease(id, t0, thenDrug) {
    status('');
    state.disease = id;
    state.selected.clear();
    $('why').hidden = true;
    $('compare').hidden = true;
    $('candidates').dataset.ready = 'false';
    try {
      const [card, ranked] = await Promise.all([
        api(`/v1/ui/diseases/${enc(id)}`),
        fetchCandidates(id),
      ]);
      if (state.disease !== id) return;
      card.palliates = new Set(card.indications.filter((i) => i.kind === 'palliates').map((i) => i.id));
      state.diseaseCard = card;
      state.candidates = ranked.candidates;
      state.modelVersion = ranked.model_version;
      renderDiseaseCard(card);
      renderCandidates();
      markRendered('disease', id, t0);
      if (thenDrug) openWhy(thenDrug, performance.now());
    } catch (exc) { fail(exc); }
  }

  function fetchCandidates(id) {
    const params = { k: $('cand-k').value, include_known: !$('cand-hide-known').checked };
    return api(`/v1/diseases/${enc(id)}/candidates?${query(params)}`);
  }

  async function refetchCandidates() {
    if (!state.disease) return;
    const t0 = performance.now();
    try {
      const ranked = await fetchCandidates(state.disease);
      state.candidates = ranked.candidates;
      renderCandidates();
      markRendered('refetch', state.disease, t0);
    } catch (exc) { fail(exc); }
  }

  function markRendered(kind, id, t0) {
    // Measured after the browser has laid out the new content (the second animation frame follows a paint).
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (t0 !== undefined) window.pmkgTimings.push({ kind, id, ms: performance.now() - t0 });
    }));
  }

  function renderDiseaseCard(card) {
    $('disease-detail').hidden = false;
    $('disease-title').textContent = `${card.name || card.id}`;
    const treats = card.indications.filter((i) => i.kind === 'treats').length;
    const palliates = card.indications.length - treats;
    const facts = [el('span', { class: 'ids', text: card.id })];
    if (card.zero_shot) facts.push(' ', el('span', { class: 'badge zero', text: 'no known drug (zero-shot): the model saw no indication for this disease' }));
    else facts.push(' ', el('span', { class: 'badge treats', text: `${treats} known disease-modifying drug${treats === 1 ? '' : 's'}` }));
    if (palliates) facts.push(' ', el('span', { class: 'badge palliates', text: `${palliates} palliative` }));
    if (card.synonyms.length) facts.push(el('p', { class: 'hint', text: `Also: ${card.synonyms.slice(0, 8).join('; ')}` }));
    $('disease-facts').replaceChildren(...facts);
    const known = $('disease-indications');
    if (!card.indications.length) {
      known.replaceChildren(el('p', { text: 'No drug is known to treat or palliate this disease in the graph.' }));
    } else {
      known.replaceChildren(indicationTable(card.indications, 'Drug', (i) => openWhy(i.id, performance.now())));
    }
    $('disease-known').open = card.indications.length > 0 && card.indications.length <= 12;
    $('candidates-model').textContent = `Model ${state.modelVersion} · ${externalText(state.card)}`;
  }

  function indicationTable(indications, other, onOpen) {
    return el('table', { class: 'data' },
      el('caption', { class: 'visually-hidden', text: 'Known indications' }),
      el('thead', null, el('tr', null, el('th', { scope: 'col', text: other }), el('th', { scope: 'col', text: 'Kind' }),
        el('th', { scope: 'col', text: 'Model rank' }), el('th', { scope: 'col', text: 'Probability' }),
        el('th', { scope: 'col', text: 'Sources' }), el('th', { scope: 'col', text: 'Evidence' }))),
      el('tbody', null, indications.map((i) => el('tr', null,
        el('td', null, i.name || i.id, ' ', el('span', { class: 'ids', text: i.id })),
        el('td', null, el('span', { class: `badge ${i.kind}`, text: i.kind })),
        el('td', { class: 'num', text: i.rank === null ? 'n/a' : String(i.rank) }),
        el('td', { class: 'num', text: prob(i.probability) }),
        el('td', { text: i.sources.join(', ') }),
        el('td', null, i.rank === null ? '' : el('button', { type: 'button', class: 'secondary', onclick: () => onOpen(i), 'aria-label': `Why ${i.name || i.id}` }, 'Why'))))));
  }

  function visibleCandidates() {
    const minP = parseFloat($('cand-min-p').value) || 0;
    const text = $('cand-filter').value.trim().toLowerCase();
    const hideKnown = $('cand-hide-known').checked;
    const rows = state.candidates.map((c) => ({ ...c, status: statusOf(c) })).filter((c) =>
      (!hideKnown || c.status === 'novel') && (c.probability === null || c.probability >= minP) &&
      (!text || (c.drug_name || '').toLowerCase().includes(text) || c.drug_id.toLowerCase().includes(text)));
    const { key, dir } = state.sort;
    rows.sort((a, b) => {
      const x = a[key], y = b[key];
      if (x === y) return a.rank - b.rank;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'string' ? x.localeCompare(y) : x - y) * dir;
    });
    return rows;
  }

  function renderCandidates() {
    const rows = visibleCandidates();
    const tbody = $('candidates').tBodies[0];
    const fragment = document.createDocumentFragment();
    for (const c of rows) {
      const selected = state.selected.has(c.drug_id);
      const name = c.drug_name || c.drug_id;
      fragment.append(el('tr', { dataset: { drug: c.drug_id }, class: state.pair === c.drug_id ? 'selected' : null },
        el('td', null, el('input', { type: 'checkbox', class: 'pick', checked: selected, 'aria-label': `Compare ${name}`,
          onchange: (event) => toggleCompare(c.drug_id, event.target.checked) })),
        el('td', { class: 'num', text: String(c.rank) }),
        el('td', null, name, ' ', el('span', { class: 'ids', text: c.drug_id })),
        el('td', { class: 'num prob', text: prob(c.probability) }),
        el('td', { class: 'num', text: fixed(c.score) }),
        el('td', null, el('span', { class: `badge ${c.status}`, text: c.status })),
        el('td', null, el('button', { type: 'button', class: 'secondary why', 'aria-label': `Why ${name}`,
          onclick: () => openWhy(c.drug_id, performance.now()) }, 'Why'))));
    }
    tbody.replaceChildren(fragment);
    for (const th of $('candidates').tHead.rows[0].cells) {
      const button = th.querySelector('button[data-sort]');
      if (!button) continue;
      const key = button.dataset.sort;
      th.setAttribute('aria-sort', key === state.sort.key ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
    $('candidates-count').textContent = `Showing ${rows.length} of the ${state.candidates.length} best-ranked drugs` +
      ($('cand-hide-known').checked ? ' (known indications hidden)' : '');
    $('candidates').dataset.ready = 'true';
    $('candidates').dataset.disease = state.disease;
    updateCompareButton();
  }

  function sortBy(key) {
    if (state.sort.key === key) state.sort.dir = -state.sort.dir;
    else state.sort = { key, dir: key === 'probability' || key === 'score' ? -1 : 1 };
    renderCandidates();
  }

  // ---- CSV -----------------------------------------------------------------------------------------------------

  function csvCell(value) {
    if (value === null || value === undefined) return '';
    let text = String(value);
    // A spreadsheet would run a cell that starts with = + - @ as a formula; numbers stay numbers.
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  function exportCsv() {
    const rows = visibleCandidates();
    const header = ['disease_id', 'disease_name', 'rank', 'drug_id', 'drug_name', 'probability', 'score', 'status', 'model_version'];
    const lines = [header.join(',')];
    for (const r of rows) {
      lines.push([state.disease, state.diseaseCard.name, r.rank, r.drug_id, r.drug_name, r.probability, r.score, r.status,
        state.modelVersion].map(csvCell).join(','));
    }
    const blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: `pmkg-candidates-${state.disease.replace(/[^A-Za-z0-9]+/g, '_')}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status(`Exported ${rows.length} rows as CSV.`);
  }

  // ---- why -----------------------------------------------------------------------------------------------------

  async function openWhy(drugId, t0) {
    status('');
    state.pair = drugId;
    for (const tr of $('candidates').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.drug === drugId);
    const panel = $('why');
    panel.hidden = false;
    $('why-graph').dataset.ready = 'false';
    $('why-title').textContent = 'Why: loading…';
    try {
      const body = await api(`/v1/pairs/${enc(drugId)}/${enc(state.disease)}/explanation?${query({ n: 25 })}`);
      if (state.pair !== drugId) return;
      state.explanation = body;
      renderWhy();
      markRendered('evidence', drugId, t0);
      panel.scrollIntoView({ block: 'nearest' });
    } catch (exc) { fail(exc); $('why-title').textContent = 'Why'; }
  }

  function renderWhy() {
    const x = state.explanation;
    $('why-title').textContent = `Why ${x.drug_name || x.drug_id} for ${x.disease_name || x.disease_id}`;
    const indication = x.indication ? `known indication (${x.indication})` : 'not a known indication';
    $('why-summary').textContent = `Probability ${prob(x.probability)}, rank ${x.rank} of all candidate drugs, ` +
      `score ${fixed(x.score)}; ${indication}. ${x.paths.length} evidence paths shown, ${x.metapaths.length} metapaths.`;
    const tbody = $('metapaths').tBodies[0];
    tbody.replaceChildren(...x.metapaths.map((m) => {
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${Math.max(1, Math.round(80 * m.share))}px`;
      return el('tr', null, el('td', null, el('code', { text: m.metapath })), el('td', { text: m.meaning }),
        el('td', { class: 'num', text: String(m.paths) }), el('td', { class: 'num' }, bar, pct(m.share, 1)));
    }));
    if (!x.metapaths.length) tbody.append(el('tr', null, el('td', { colspan: '4', text: 'No metapath links this pair.' })));
    drawEvidence();
    $('why-notes').textContent = x.notes.join(' ');
  }

  function keptPaths() {
    const threshold = parseFloat($('why-threshold').value) / 100;
    $('why-threshold-value').textContent = `${$('why-threshold').value}%`;
    return state.explanation.paths.filter((p) => p.contribution >= threshold);
  }

  function drawEvidence() {
    const paths = keptPaths();
    const graph = buildGraph(paths);
    $('why-graph').replaceChildren(drawGraph(graph, paths));
    $('why-graph').dataset.ready = 'true';
    $('why-graph').dataset.paths = String(paths.length);
    const labels = [...new Set(graph.nodes.map((n) => n.label))];
    $('why-legend').replaceChildren(...labels.map((label) => {
      const swatch = svg('svg', { width: '12', height: '12', 'aria-hidden': 'true' });
      swatch.append(svg('circle', { cx: '6', cy: '6', r: '5', fill: LABEL_COLOURS[label] || FALLBACK_COLOUR, stroke: '#333' }));
      return el('span', null, swatch, ` ${label}`);
    }));
    $('why-paths').replaceChildren(...paths.map(pathItem));
    if (!paths.length) $('why-paths').append(el('li', { text: 'No path above the threshold.' }));
  }

  function buildGraph(paths) {
    const nodes = new Map();
    const edges = new Map();
    for (const p of paths) {
      const hops = p.node_ids.length - 1;
      p.node_ids.forEach((id, i) => {
        if (!nodes.has(id)) {
          nodes.set(id, { id, name: p.node_names[i] || id, label: p.node_labels[i], x: hops ? i / hops : 0, weight: 0 });
        }
        nodes.get(id).weight += p.contribution;
      });
      for (let i = 0; i < hops; i++) {
        const key = `${p.node_ids[i]}|${p.node_ids[i + 1]}|${p.relationships[i]}`;
        const edge = edges.get(key) || { source: p.node_ids[i], target: p.node_ids[i + 1], type: p.relationships[i], weight: 0 };
        edge.weight += p.contribution;
        edges.set(key, edge);
      }
    }
    return { nodes: [...nodes.values()], edges: [...edges.values()] };
  }

  function drawGraph(graph, paths) {
    const width = 700, margin = 120;
    // Columns by position along the path (0 = drug, 1 = disease); nodes in a column spread top to bottom.
    const columns = new Map();
    for (const n of graph.nodes) {
      const key = n.x.toFixed(3);
      if (!columns.has(key)) columns.set(key, []);
      columns.get(key).push(n);
    }
    const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
    const height = Math.max(160, Math.min(900, 34 * tallest + 40));
    for (const column of columns.values()) {
      column.sort((a, b) => b.weight - a.weight);
      column.forEach((n, i) => {
        n.px = margin + n.x * (width - 2 * margin);
        n.py = (height * (i + 1)) / (column.length + 1);
      });
    }
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const top = Math.max(1e-9, ...graph.edges.map((e) => e.weight));
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img',
      'aria-labelledby': 'why-svg-title why-svg-desc' });
    const title = svg('title', { id: 'why-svg-title' });
    title.textContent = 'Evidence paths as a node-link picture';
    const desc = svg('desc', { id: 'why-svg-desc' });
    desc.textContent = `${paths.length} paths through ${graph.nodes.length} nodes; edge width is the summed contribution of the paths using it. The list below gives the same paths as text.`;
    root.append(title, desc);
    const edgeLayer = svg('g', { class: 'edges' });
    for (const e of graph.edges) {
      const a = byId.get(e.source), b = byId.get(e.target);
      const line = svg('line', { x1: a.px, y1: a.py, x2: b.px, y2: b.py, stroke: '#4a5a70', 'stroke-opacity': '0.75',
        'stroke-width': (1 + 9 * Math.sqrt(e.weight / top)).toFixed(2), 'data-weight': e.weight.toFixed(5) });
      const tip = svg('title');
      tip.textContent = `${a.name} ${e.type} ${b.name}: ${pct(e.weight, 1)} of the pair's evidence`;
      line.append(tip);
      edgeLayer.append(line);
    }
    const nodeLayer = svg('g', { class: 'nodes' });
    for (const n of graph.nodes) {
      const group = svg('g', { class: 'node', 'data-label': n.label });
      group.append(svg('circle', { cx: n.px, cy: n.py, r: n.x === 0 || n.x === 1 ? 11 : 8,
        fill: LABEL_COLOURS[n.label] || FALLBACK_COLOUR, stroke: '#1b1b1b', 'stroke-width': '1' }));
      const anchor = n.x === 0 ? 'end' : n.x === 1 ? 'start' : 'middle';
      const dx = n.x === 0 ? -14 : n.x === 1 ? 14 : 0;
      const dy = n.x === 0 || n.x === 1 ? 4 : -11;
      const label = svg('text', { x: n.px + dx, y: n.py + dy, 'text-anchor': anchor, stroke: '#ffffff',
        'stroke-width': '3', 'paint-order': 'stroke' });
      const room = n.x === 0 || n.x === 1 ? 16 : 22;
      label.textContent = n.name.length > room ? `${n.name.slice(0, room - 1)}…` : n.name;
      const tip = svg('title');
      tip.textContent = `${n.label} ${n.name} (${n.id})`;
      group.append(label, tip);
      nodeLayer.append(group);
    }
    root.append(edgeLayer, nodeLayer);
    return root;
  }

  function pathItem(p) {
    const hops = el('ul', { class: 'hops' });
    for (let i = 0; i < p.relationships.length; i++) {
      hops.append(el('li', null, `${p.node_names[i] || p.node_ids[i]} —${p.relationships[i]}→ ${p.node_names[i + 1] || p.node_ids[i + 1]}`,
        el('span', { class: 'ids', text: ` · source: ${p.sources[i] || 'not recorded'}` })));
    }
    const copy = el('button', { type: 'button', class: 'secondary', onclick: () => copyText(p.cypher) }, 'Copy Cypher');
    return el('li', null,
      el('strong', { text: `${p.metapath}` }), ` ${p.meaning} — contribution ${pct(p.contribution, 1)}`,
      hops,
      el('details', null, el('summary', { text: 'Cypher for Neo4j Browser' }), el('pre', null, el('code', { text: p.cypher })), copy));
  }

  async function copyText(text) {
    try { await navigator.clipboard.writeText(text); status('Cypher copied.'); } catch (exc) { status('Select the Cypher and copy it.'); }
  }

  // ---- compare -------------------------------------------------------------------------------------------------

  function toggleCompare(drugId, on) {
    if (on && state.selected.size >= 4) {
      status('Compare takes two to four drugs; untick one first.', true);
      renderCandidates();
      return;
    }
    if (on) state.selected.add(drugId); else state.selected.delete(drugId);
    updateCompareButton();
  }

  function updateCompareButton() {
    const n = state.selected.size;
    const button = $('compare-open');
    button.textContent = `Compare selected (${n})`;
    button.disabled = n < 2 || n > 4;
  }

  async function openCompare() {
    const drugs = [...state.selected];
    const disease = state.disease;
    status('');
    $('compare').hidden = false;
    $('compare-body').replaceChildren(el('p', { text: 'Loading…' }));
    try {
      const [scored, ...explanations] = await Promise.all([
        api('/v1/links/score', { method: 'POST', body: { pairs: drugs.map((drug) => ({ drug, disease })) } }),
        ...drugs.map((d) => api(`/v1/pairs/${enc(d)}/${enc(disease)}/explanation?${query({ n: 50 })}`)),
      ]);
      renderCompare(drugs, scored.results, explanations);
      $('compare').dataset.ready = 'true';
      $('compare').scrollIntoView({ block: 'nearest' });
    } catch (exc) { fail(exc); }
  }

  function renderCompare(drugs, results, explanations) {
    const names = explanations.map((x) => x.drug_name || x.drug_id);
    const head = el('thead', null, el('tr', null, el('th', { scope: 'col', text: '' }), names.map((n) => el('th', { scope: 'col', text: n }))));
    const row = (label, cells) => el('tr', null, el('th', { scope: 'row', text: label }), cells.map((c) => el('td', { class: 'num', text: c })));
    const palliates = state.diseaseCard ? state.diseaseCard.palliates : new Set();
    const metapaths = [...new Set(explanations.flatMap((x) => x.metapaths.map((m) => m.metapath)))];
    const body = el('tbody', null,
      row('Probability', results.map((r) => prob(r.probability))),
      row('Rank', results.map((r) => String(r.rank))),
      row('Score', results.map((r) => fixed(r.score))),
      row('Status', results.map((r, i) => (r.known ? 'treats' : palliates.has(drugs[i]) ? 'palliates' : 'novel'))),
      row('Evidence paths', explanations.map((x) => String(x.paths.length))),
      metapaths.map((m) => row(`Share via ${m}`, explanations.map((x) => {
        const share = x.metapaths.find((s) => s.metapath === m);
        return share ? pct(share.share, 1) : '—';
      }))));
    const table = el('table', { class: 'data compare-grid', id: 'compare-table' },
      el('caption', { class: 'visually-hidden', text: 'Selected drugs side by side' }), head, body);

    // Intermediate nodes (not the drug, not the disease) on each drug's evidence paths, weighted by contribution.
    const seen = explanations.map((x) => {
      const found = new Map();
      for (const p of x.paths) {
        for (let i = 1; i < p.node_ids.length - 1; i++) {
          const id = p.node_ids[i];
          const entry = found.get(id) || { id, name: p.node_names[i] || id, label: p.node_labels[i], weight: 0 };
          entry.weight += p.contribution;
          found.set(id, entry);
        }
      }
      return found;
    });
    const everyNode = new Map();
    seen.forEach((found) => found.forEach((n, id) => everyNode.set(id, n)));
    const shared = [...everyNode.values()].filter((n) => seen.filter((f) => f.has(n.id)).length >= 2)
      .sort((a, b) => seen.filter((f) => f.has(b.id)).length - seen.filter((f) => f.has(a.id)).length || a.name.localeCompare(b.name));
    const sharedTable = el('table', { class: 'data', id: 'compare-shared' },
      el('caption', { text: `Shared evidence: ${shared.length} nodes on the paths of two or more drugs` }),
      el('thead', null, el('tr', null, el('th', { scope: 'col', text: 'Node' }), el('th', { scope: 'col', text: 'Label' }),
        names.map((n) => el('th', { scope: 'col', text: n })))),
      el('tbody', null, shared.slice(0, 30).map((n) => el('tr', null, el('td', { text: n.name }), el('td', { text: n.label }),
        seen.map((f) => el('td', { class: 'num', text: f.has(n.id) ? pct(f.get(n.id).weight, 1) : '—' })))),
      shared.length ? null : el('tr', null, el('td', { colspan: String(2 + names.length),
        text: 'No node lies on the evidence paths of more than one of these drugs.' }))));
    const distinct = el('div', { id: 'compare-distinct' }, el('h3', { text: 'Distinct evidence (on one drug\'s paths only)' }),
      el('ul', null, seen.map((found, i) => {
        const only = [...found.values()].filter((n) => seen.filter((f) => f.has(n.id)).length === 1)
          .sort((a, b) => b.weight - a.weight).slice(0, 8);
        return el('li', null, el('strong', { text: `${names[i]}: ` }),
          only.length ? only.map((n) => `${n.name} (${n.label}, ${pct(n.weight, 1)})`).join('; ') : 'none');
      })));
    $('compare-title').textContent = `Compare ${names.length} drugs for ${state.diseaseCard ? state.diseaseCard.name : disease}`;
    $('compare-body').replaceChildren(table, sharedTable, distinct);
  }

  // ---- drug view -----------------------------------------------------------------------------------------------

  async function selectDrug(id) {
    status('');
    state.drug = id;
    try {
      const [card, predicted] = await Promise.all([api(`/v1/ui/drugs/${enc(id)}`), fetchDrugDiseases(id)]);
      if (state.drug !== id) return;
      $('drug-detail').hidden = false;
      $('drug-title').textContent = card.name || card.id;
      const facts = [el('span', { class: 'ids', text: card.id })];
      if (!card.scored) facts.push(' ', el('span', { class: 'badge novel', text: 'not a candidate drug for the model (no edge besides an indication)' }));
      if (card.synonyms.length) facts.push(el('p', { class: 'hint', text: `Also: ${card.synonyms.slice(0, 8).join('; ')}` }));
      $('drug-facts').replaceChildren(...facts);
      $('drug-indications').replaceChildren(card.indications.length ?
        indicationTable(card.indications, 'Disease', (i) => openDiseaseFor(i.id, id)) :
        el('p', { text: 'No known indication in the graph.' }));
      renderDrugDiseases(predicted);
    } catch (exc) { fail(exc); }
  }

  function fetchDrugDiseases(id) {
    const params = { k: 50, include_known: !$('drug-hide-known').checked, order: $('drug-order').value };
    return api(`/v1/drugs/${enc(id)}/diseases?${query(params)}`);
  }

  function renderDrugDiseases(predicted) {
    $('drug-diseases').tBodies[0].replaceChildren(...predicted.diseases.map((d) => el('tr', null,
      el('td', null, d.disease_name || d.disease_id, ' ', el('span', { class: 'ids', text: d.disease_id })),
      el('td', { class: 'num', text: prob(d.probability) }), el('td', { class: 'num', text: String(d.rank) }),
      el('td', { class: 'num', text: fixed(d.score) }),
      el('td', null, el('span', { class: `badge ${d.known ? 'treats' : 'novel'}`, text: d.known ? 'treats' : 'novel' })),
      el('td', null, el('button', { type: 'button', class: 'secondary', 'aria-label': `Open ${d.disease_name || d.disease_id} with its evidence`,
        onclick: () => openDiseaseFor(d.disease_id, predicted.drug_id) }, 'Open')))));
  }

  async function refetchDrugDiseases() {
    if (!state.drug) return;
    try { renderDrugDiseases(await fetchDrugDiseases(state.drug)); } catch (exc) { fail(exc); }
  }

  function openDiseaseFor(diseaseId, drugId) {
    showTab($('tab-disease'), false);
    selectDisease(diseaseId, performance.now(), drugId);
  }

  // ---- patient view --------------------------------------------------------------------------------------------

  async function readText(file) {
    const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
    if (head[0] === 0x1f && head[1] === 0x8b) {
      const stream = file.stream().pipeThrough(new DecompressionStream('gzip'));
      return new Response(stream).text();
    }
    return file.text();
  }

  async function submitPatient(event) {
    event.preventDefault();
    const error = $('patient-error');
    error.textContent = '';
    const packetFile = $('patient-phenopacket').files[0];
    const vcfFile = $('patient-vcf').files[0];
    if (!packetFile) { error.textContent = 'Choose a phenopacket JSON file first.'; return; }
    let phenopacket;
    try {
      phenopacket = JSON.parse(await packetFile.text());
    } catch (exc) {
      error.textContent = `${packetFile.name} is not valid JSON (${exc.message}); export the phenopacket as JSON.`;
      return;
    }
    let vcf = null;
    if (vcfFile) {
      try { vcf = await readText(vcfFile); } catch (exc) { error.textContent = `Cannot read ${vcfFile.name}: ${exc.message}`; return; }
    }
    const params = { k: $('patient-k').value || 25, use_diagnosis: $('patient-use-diagnosis').checked,
      store: $('patient-store').checked };
    $('patient-result').hidden = true;
    status('Scoring the patient…');
    try {
      const body = { phenopacket };
      if (vcf !== null) body.vcf = vcf;
      state.patient = await api(`/v1/patients/recommendations?${query(params)}`, { method: 'POST', body });
      status('');
      renderPatient();
    } catch (exc) {
      status('');
      if (exc.status !== 401) error.textContent = exc.message;
    }
  }

  function renderPatient() {
    const r = state.patient;
    $('patient-result').hidden = false;
    $('patient-notice').textContent = r.notice || 'Research software, not clinical decision support.';
    const stored = r.stored ? `Stored in the graph as ${r.stored_patient.patient_id}.` : 'Not stored.';
    const unmapped = Object.entries(r.unmapped || {}).map(([k, v]) => `${v} ${k}`).join(', ');
    $('patient-meta').textContent = `Patient model ${r.model_version}; ${r.used_diagnosis ? 'with' : 'without'} the stated diagnosis. ${stored}` +
      (unmapped ? ` Terms the graph does not know: ${unmapped}.` : '');
    $('patient-pgx').replaceChildren(r.pgx.length ? el('table', { class: 'data', id: 'patient-pgx-table' },
      el('caption', { text: 'Pharmacogene calls from the VCF' }),
      el('thead', null, el('tr', null, ['Gene', 'Diplotype', 'Phenotype', 'Note'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', null, r.pgx.map((c) => el('tr', null, el('td', { text: c.gene }), el('td', { text: c.diplotype || 'n/a' }),
        el('td', { text: c.phenotype || 'n/a' }),
        el('td', { text: [c.ambiguous ? 'ambiguous call' : '', c.missing_positions ? `${c.missing_positions} positions missing` : ''].filter(Boolean).join('; ') })))))
      : el('p', { class: 'hint', text: 'No pharmacogene calls (no VCF, or no pharmacogene positions in it).' }));
    // Each listed drug carries its interactions with the current medications (DrugCentral), most severe first.
    const interactions = (r.drugs || []).flatMap((d) => (d.interactions || []).map((i) => `${d.drug_name || d.drug_id}: ${i.text}`));
    const medications = (r.medications || []).map((m) => m.name || m.drug_id);
    $('patient-interactions').replaceChildren(...(interactions.length || medications.length ? [el('h3', { text: 'Drug–drug interaction warnings' }),
      el('p', { class: 'hint', text: medications.length ? `Checked against the current medications: ${medications.join(', ')}.` : 'No current medications were given.' }),
      el('ul', null, interactions.map((text) => el('li', { text })))] : []));
    renderPatientDrugs();
    const therapies = r.biomarker_therapies || [];
    $('patient-biomarkers').replaceChildren(...(therapies.length ? [el('h3', { text: 'Biomarker-matched therapies (CIViC)' }),
      el('table', { class: 'data' }, el('caption', { class: 'visually-hidden', text: 'Biomarker-matched therapies' }),
        el('thead', null, el('tr', null, ['Therapy', 'Best level', 'Evidence'].map((h) => el('th', { scope: 'col', text: h })))),
        el('tbody', null, therapies.map((t) => el('tr', null, el('td', { text: t.therapy || t.name || (t.drugs || []).join(' + ') || JSON.stringify(t).slice(0, 80) }),
          el('td', { text: t.best_level || '' }), el('td', { text: summariseEvidence(t) })))))] : []));
    $('patient-differential').replaceChildren(el('h3', { text: 'Differential: recorded diagnoses first, then the model\'s suggestions' }),
      el('table', { class: 'data', id: 'patient-differential-table' }, el('caption', { class: 'visually-hidden', text: 'Differential diagnosis' }),
        el('thead', null, el('tr', null, ['Disease', 'Status', 'Model probability'].map((h) => el('th', { scope: 'col', text: h })))),
        el('tbody', null, r.differential.map((d) => el('tr', null, el('td', null, d.name || d.disease_id, ' ', el('span', { class: 'ids', text: d.disease_id })),
          el('td', { text: d.status || '' }), el('td', { class: 'num', text: d.probability == null ? 'n/a' : prob(d.probability) }))))),
      ...[r.differential_scope, ...(r.notes || [])].filter(Boolean).map((text) => el('p', { class: 'hint', text })));
  }

  function summariseEvidence(t) {
    const parts = [];
    for (const key of ['sensitivity', 'resistance', 'against']) {
      if (Array.isArray(t[key]) && t[key].length) parts.push(`${t[key].length} ${key}`);
    }
    return parts.join(', ');
  }

  function renderPatientDrugs() {
    const r = state.patient;
    const onlyFlagged = $('patient-flagged-only').checked;
    const rows = r.drugs.filter((d) => !onlyFlagged || d.pgx_flags.length || d.warning || (d.interactions || []).length);
    $('patient-drugs').tBodies[0].replaceChildren(...rows.map((d) => el('tr', { dataset: { drug: d.drug_id } },
      el('td', { class: 'num', text: String(d.rank) }),
      el('td', null, d.drug_name || d.drug_id, ' ', el('span', { class: 'ids', text: d.drug_id })),
      el('td', { class: 'num', text: prob(d.probability) }),
      el('td', null, d.pgx_flags.map((f) => el('span', { class: 'badge flag pgx-flag', text: f })),
        (d.interactions || []).map((i) => el('span', { class: 'badge flag interaction-flag', text: i.text })),
        d.warning ? el('span', { class: 'badge flag', text: d.warning }) : null),
      el('td', null, d.recommendations.map((rec) => el('details', null,
        el('summary', { text: `${rec.guideline_source}: ${rec.action || 'see text'}${rec.classification ? ` (${rec.classification})` : ''}` }),
        el('p', { text: rec.text || '' })))),
      el('td', { text: (d.reasons || []).join(' ') }))));
    if (!rows.length) $('patient-drugs').tBodies[0].append(el('tr', null, el('td', { colspan: '6', text: 'No drug in this list has a pharmacogenomic flag.' })));
  }

  // ---- wiring --------------------------------------------------------------------------------------------------

  function init() {
    initTabs();
    $('key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = $('key-input').value.trim();
      $('key-input').value = '';
      if (key) unlock(key, false);
    });
    $('forget-key').addEventListener('click', () => lockOut('Key forgotten for this tab.'));
    $('disease-search').addEventListener('submit', (event) => { event.preventDefault(); searchDiseases($('disease-q').value.trim()); });
    $('drug-search').addEventListener('submit', (event) => { event.preventDefault(); searchDrugs($('drug-q').value.trim()); });
    $('candidate-filters').addEventListener('submit', (event) => event.preventDefault());
    $('cand-k').addEventListener('change', refetchCandidates);
    $('cand-hide-known').addEventListener('change', refetchCandidates);
    $('cand-min-p').addEventListener('input', () => state.disease && renderCandidates());
    $('cand-filter').addEventListener('input', () => state.disease && renderCandidates());
    $('export-csv').addEventListener('click', exportCsv);
    $('compare-open').addEventListener('click', openCompare);
    for (const button of document.querySelectorAll('#candidates th button[data-sort]')) {
      button.addEventListener('click', () => sortBy(button.dataset.sort));
    }
    $('why-threshold').addEventListener('input', () => state.explanation && drawEvidence());
    $('drug-filters').addEventListener('submit', (event) => event.preventDefault());
    $('drug-order').addEventListener('change', refetchDrugDiseases);
    $('drug-hide-known').addEventListener('change', refetchDrugDiseases);
    $('patient-form').addEventListener('submit', submitPatient);
    $('patient-flagged-only').addEventListener('change', () => state.patient && renderPatientDrugs());
    const saved = sessionStorage.getItem(KEY_STORE);
    if (saved) unlock(saved, true); else $('key-input').focus();
  }

  document.addEventListener('DOMContentLoaded', init);
})();

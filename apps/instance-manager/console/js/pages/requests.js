// Requests: the request log, newest first, filtered, a page at a time ("Load more"), with one
// request's detail and a CSV export of everything the filters match.
import { api, apiCsv } from '../api.js';
import { fill, h, KeyedRows, panel, setData, setText, unavailable } from '../dom.js';
import * as format from '../format.js';
import { keyNames } from './key-names.js';

const HOUR_MS = 3_600_000;
const RANGES = {
  '1h': ['Last hour', HOUR_MS],
  '24h': ['Last 24 hours', 24 * HOUR_MS],
  '7d': ['Last 7 days', 7 * 24 * HOUR_MS],
  '30d': ['Last 30 days', 30 * 24 * HOUR_MS],
};
const STATUSES = ['2xx', '4xx', '5xx', '400', '401', '403', '404', '429', '499', '500', '502', '503', '504'];
const DEFAULT_LIMIT = 100;
/** The export follows the cursor this many pages of 1,000 at most; the rest is left out and said so. */
const EXPORT_PAGES = 100;
/** New requests are looked for every 15 seconds while the page is shown; rows already loaded stay. */
const POLL_MS = 15_000;
const COLUMNS = [
  ['time', 'Time'],
  ['key', 'Key'],
  ['model', 'Model'],
  ['instance', 'Instance'],
  ['status', 'Status'],
  ['errorKind', 'Error'],
  ['attempts', 'Attempts', 'number'],
  ['tokens', 'Tokens in/out', 'number'],
  ['cost', 'Cost', 'number'],
  ['latency', 'Latency', 'number'],
  ['ttft', 'TTFT', 'number'],
];

export function requestsPage({ container, params }) {
  const initial = params.query ?? new URLSearchParams();
  const names = keyNames();
  const controls = {
    keyId: h('select', { id: 'requests-key' }, h('option', { value: '' }, 'All keys')),
    model: h('input', { type: 'search', id: 'requests-model', placeholder: 'model', size: 16 }),
    provider: h('input', { type: 'search', id: 'requests-provider', placeholder: 'provider', size: 10 }),
    status: h(
      'select',
      { id: 'requests-status' },
      h('option', { value: '' }, 'Any status'),
      STATUSES.map((status) => h('option', { value: status }, status)),
    ),
    errorKind: h('input', {
      type: 'search',
      id: 'requests-error-kind',
      placeholder: 'error kind',
      size: 14,
      list: 'requests-error-kinds',
    }),
    range: h(
      'select',
      { id: 'requests-range' },
      Object.entries(RANGES).map(([value, [label]]) => h('option', { value }, label)),
    ),
    limit: h('input', { type: 'number', id: 'requests-limit', min: 1, max: 1000, size: 5, title: 'Rows per page' }),
  };
  controls.range.value = '24h';
  controls.limit.value = String(DEFAULT_LIMIT);
  for (const [name, control] of Object.entries(controls)) if (initial.get(name)) control.value = initial.get(name);
  // A key id from a link is selected once the names are loaded and its option exists.
  const wantedKey = initial.get('keyId') ?? '';
  // The error kinds the gateway logs, as the server lists them (loaded once, with the first refresh).
  const errorKinds = h('datalist', { id: 'requests-error-kinds' });
  const exportButton = h('button', { type: 'button', className: 'secondary', id: 'requests-export' }, 'Export CSV');
  const exportStatus = h('span', { className: 'muted', id: 'requests-export-status', role: 'status' });
  const summary = h('span', { className: 'muted', id: 'requests-summary' });
  const state = h('div');
  const more = h('button', { type: 'button', className: 'secondary', id: 'requests-more', hidden: true }, 'Load more');
  const rowsBody = h('tbody', { id: 'requests-rows' });
  const detail = h('div', { id: 'request-detail' }, h('p', { className: 'muted' }, 'Click a request to see it here.'));
  const form = h(
    'form',
    { className: 'toolbar', id: 'requests-filters' },
    Object.values(controls),
    errorKinds,
    h('button', { type: 'submit' }, 'Apply'),
    exportButton,
    exportStatus,
  );

  /** What is shown: the filters it was loaded with, the rows newest first, and the next page's cursor. */
  let shown = { filters: undefined, items: [], ids: new Set(), nextCursor: null };
  let selectedId;
  let loads = 0;
  const rows = new KeyedRows(rowsBody, {
    create: (item) => createRow(item, () => select(item.id)),
    update: (entry, item) => updateRow(entry, item, names, item.id === selectedId),
  });

  fill(
    container,
    panel('Requests', form, state),
    h(
      'div',
      { className: 'split' },
      panel(
        'Request log',
        h('div', { className: 'toolbar' }, summary),
        h(
          'div',
          { className: 'table-scroll' },
          h(
            'table',
            { id: 'requests-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                COLUMNS.map(([, title, kind]) => h('th', { className: kind }, title)),
              ),
            ),
            rowsBody,
          ),
        ),
        h('div', { className: 'toolbar' }, more),
      ),
      panel('Request', detail),
    ),
  );

  function filtersFromControls() {
    const limit = Math.min(1000, Math.max(1, Math.round(Number(controls.limit.value)) || DEFAULT_LIMIT));
    return {
      keyId: controls.keyId.value,
      model: controls.model.value.trim(),
      provider: controls.provider.value.trim(),
      status: controls.status.value,
      errorKind: controls.errorKind.value.trim(),
      range: RANGES[controls.range.value] ? controls.range.value : '24h',
      limit,
    };
  }

  /** The API query of the filters, over their range ending now. */
  function queryOf(filters, extra = {}) {
    const to = new Date();
    const query = new URLSearchParams({
      from: new Date(to.getTime() - RANGES[filters.range][1]).toISOString(),
      to: to.toISOString(),
    });
    for (const name of ['keyId', 'model', 'provider', 'status', 'errorKind'])
      if (filters[name]) query.set(name, filters[name]);
    for (const [name, value] of Object.entries(extra)) query.set(name, String(value));
    return query;
  }

  function render() {
    rows.render(shown.items, (item) => item.id);
    more.hidden = !shown.nextCursor;
    setText(
      summary,
      `${shown.items.length} request${shown.items.length === 1 ? '' : 's'} shown, newest first` +
        (shown.nextCursor ? ' · more match' : ''),
    );
  }

  function renderKeyOptions() {
    const options = names.list();
    const signature = options.map(([id]) => id).join();
    if (controls.keyId.dataset.keys === signature) return;
    controls.keyId.dataset.keys = signature;
    const chosen = controls.keyId.value || wantedKey;
    fill(
      controls.keyId,
      h('option', { value: '' }, 'All keys'),
      options.map(([id, name]) => h('option', { value: id }, name)),
    );
    controls.keyId.value = chosen;
  }

  /**
   * With new filters: the first page, replacing what is shown. With the same ones (the poll): the
   * newest page again, and only the requests not shown yet are added on top, so pages loaded with
   * "Load more" stay. When more arrived than a page holds, the list starts over from the newest.
   */
  async function load(filters) {
    const ticket = ++loads;
    const answer = await api('GET', `/admin/requests?${queryOf(filters, { limit: filters.limit })}`);
    if (ticket !== loads) return;
    const same = shown.filters && JSON.stringify(shown.filters) === JSON.stringify(filters);
    const overlap = same ? answer.items.findIndex((item) => shown.ids.has(item.id)) : -1;
    if (overlap >= 0) {
      shown.items = [...answer.items.slice(0, overlap), ...shown.items];
      for (const item of answer.items.slice(0, overlap)) shown.ids.add(item.id);
    } else {
      shown = {
        filters,
        items: answer.items,
        ids: new Set(answer.items.map((item) => item.id)),
        nextCursor: answer.nextCursor,
      };
    }
    render();
  }

  async function loadMore() {
    if (!shown.nextCursor) return;
    const filters = shown.filters;
    more.disabled = true;
    try {
      const ticket = ++loads;
      const query = queryOf(filters, { limit: filters.limit, cursor: shown.nextCursor });
      const answer = await api('GET', `/admin/requests?${query}`);
      if (ticket !== loads) return;
      const fresh = answer.items.filter((item) => !shown.ids.has(item.id));
      shown.items = [...shown.items, ...fresh];
      for (const item of fresh) shown.ids.add(item.id);
      shown.nextCursor = answer.nextCursor;
      render();
      fill(state);
    } catch (error) {
      fill(state, unavailable('The next page', error));
    } finally {
      more.disabled = false;
    }
  }

  function select(id) {
    selectedId = id;
    for (const [key, entry] of rows.rows) setData(entry.row, 'selected', key === id ? 'true' : '');
    const item = shown.items.find((candidate) => candidate.id === id);
    if (item) fill(detail, requestDetail(item, names));
  }

  /** Every page the filters match as one CSV file, fetched with the token in a header, then saved from memory. */
  async function exportCsv() {
    const filters = filtersFromControls();
    exportButton.disabled = true;
    setText(exportStatus, 'Exporting…');
    try {
      const parts = [];
      let cursor = null;
      let pages = 0;
      let rowCount = 0;
      do {
        const query = queryOf(filters, { format: 'csv', limit: 1000, ...(cursor ? { cursor } : {}) });
        const page = await apiCsv(`/admin/requests?${query}`);
        // Every page starts with the header line; the file keeps the first one.
        const body = pages === 0 ? page.text : page.text.slice(page.text.indexOf('\r\n') + 2);
        parts.push(body);
        rowCount += csvRecords(body) - (pages === 0 ? 1 : 0);
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < EXPORT_PAGES);
      const name = `requests-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`;
      save(new Blob(parts, { type: 'text/csv' }), name);
      setText(
        exportStatus,
        `Exported ${rowCount} request${rowCount === 1 ? '' : 's'} to ${name}` +
          (cursor ? ` (the first ${EXPORT_PAGES * 1000}; narrow the filters for the rest)` : ''),
      );
      setData(exportStatus, 'rows', String(rowCount));
    } catch (error) {
      setText(exportStatus, `Export failed: ${error.message}`);
    } finally {
      exportButton.disabled = false;
    }
  }

  async function loadErrorKinds() {
    if (errorKinds.children.length > 0) return;
    const kinds = await api('GET', '/admin/requests/error-kinds');
    fill(
      errorKinds,
      kinds.map(({ kind, meaning }) => h('option', { value: kind, label: `${kind}: ${meaning}` })),
    );
  }

  const page = {
    pollMs: POLL_MS,
    async refresh() {
      try {
        await Promise.all([names.load(), loadErrorKinds()]);
        renderKeyOptions();
        await load(shown.filters ?? filtersFromControls());
        fill(state);
      } catch (error) {
        fill(state, unavailable('The request log', error));
      }
    },
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const filters = filtersFromControls();
    // The address keeps the filters (a reload or a shared link shows the same list); replaceState
    // fires no hashchange, so the page is not built again.
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters))
      if (value && !(name === 'range' && value === '24h') && !(name === 'limit' && value === DEFAULT_LIMIT))
        query.set(name, String(value));
    history.replaceState(null, '', `#/requests${query.size ? `?${query}` : ''}`);
    shown = { filters: undefined, items: [], ids: new Set(), nextCursor: null };
    void load(filters).then(
      () => fill(state),
      (error) => fill(state, unavailable('The request log', error)),
    );
  });
  for (const control of [controls.keyId, controls.status, controls.range])
    control.addEventListener('change', () => form.requestSubmit());
  more.addEventListener('click', () => void loadMore());
  exportButton.addEventListener('click', () => void exportCsv());
  return page;
}

/** Records in CSV text: line ends outside quoted fields (a user agent may hold a quoted comma or newline). */
function csvRecords(text) {
  let records = 0;
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (character === '"') quoted = !quoted;
    else if (character === '\n' && !quoted) records += 1;
  }
  return records;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by then; the object URL only holds memory.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function createRow(item, onSelect) {
  const cells = Object.fromEntries(
    COLUMNS.map(([key, , kind]) => [key, h('td', { className: kind, dataset: { field: key } })]),
  );
  const row = h('tr', { className: 'clickable', tabIndex: 0, dataset: { requestId: item.id } }, Object.values(cells));
  row.addEventListener('click', onSelect);
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') onSelect();
  });
  return { row, cells };
}

function updateRow({ row, cells }, item, names, selected) {
  setData(row, 'status', item.status >= 400 || item.errorKind ? 'critical' : '');
  setData(row, 'selected', selected ? 'true' : '');
  setText(cells.time, format.shortDateTime(item.time));
  setText(cells.key, names.label(item.keyId));
  setText(cells.model, modelText(item));
  setText(cells.instance, item.instanceName ?? '–');
  setText(cells.status, String(item.status));
  setText(cells.errorKind, item.errorKind ?? '');
  setText(cells.attempts, item.fallbacks ? `${item.attempts} (${item.fallbacks} fallback)` : String(item.attempts));
  setText(cells.tokens, `${format.count(item.inputTokens)} / ${format.count(item.outputTokens)}`);
  setText(cells.cost, costText(item));
  setText(cells.latency, format.ms(item.latencyMs));
  setText(cells.ttft, format.ms(item.timeToFirstTokenMs));
}

function modelText(item) {
  const requested = item.requestedModel ?? '–';
  return item.servedModel && item.servedModel !== requested ? `${requested} → ${item.servedModel}` : requested;
}

/** A request with no usage (refused, failed before an answer) cost nothing known: a dash, not "unknown". */
function costText(item) {
  if (item.costUsd !== null && item.costUsd !== undefined) return format.usd(item.costUsd);
  return item.inputTokens === null && item.outputTokens === null ? '–' : 'unknown';
}

/**
 * One request as the log keeps it. The log holds no secret (no client key, no upstream key); the
 * prompt and answer kept for a key that logs bodies are left out here, they are not what this view is for.
 */
function requestDetail(item, names) {
  const fields = [
    ['Time', format.dateTime(item.time)],
    ['Request id', item.requestId],
    ['Log id', item.id],
    ['Client key', `${names.label(item.keyId)} (${item.keyId})`],
    ['Format', item.format],
    ['Route', item.route ?? '–'],
    ['Stream', item.stream ? 'yes' : 'no'],
    ['Requested model', item.requestedModel ?? '–'],
    ['Served by', item.servedProvider ? `${item.servedProvider} / ${item.servedModel ?? '–'}` : '–'],
    ['Instance', item.instanceName ?? '–'],
    ['Attempts', String(item.attempts)],
    ['Fallbacks', String(item.fallbacks)],
    ['Status', String(item.status)],
    ['Error kind', item.errorKind ?? '–'],
    ['Input tokens', format.count(item.inputTokens)],
    ['Output tokens', format.count(item.outputTokens)],
    ['Cached tokens', format.count(item.cachedTokens)],
    ['Reasoning tokens', format.count(item.reasoningTokens)],
    ['Cost', costText(item)],
    ['Latency', format.ms(item.latencyMs)],
    ['Time to first token', format.ms(item.timeToFirstTokenMs)],
    ['User agent', item.userAgent ?? '–'],
  ];
  return h(
    'dl',
    { className: 'kv', dataset: { requestId: item.id } },
    fields.flatMap(([label, value]) => [
      h('dt', {}, label),
      h('dd', { dataset: { field: label.toLowerCase().replace(/ /g, '-') } }, value),
    ]),
  );
}

// Usage: requests, tokens and spend over a time range, by client key and by model, from one
// GET /admin/usage (grouped by key and model) per refresh.
import { api } from '../api.js';
import { SmallChart } from '../charts.js';
import { fill, h, KeyedRows, panel, setData, setText, unavailable } from '../dom.js';
import * as format from '../format.js';
import { keyNames } from './key-names.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Each range ends now and starts at the beginning of a bucket, so every bucket is whole but the last. */
const RANGES = {
  '24h': { label: 'Last 24 hours, by hour', bucket: 'hour', buckets: 24, bucketMs: HOUR_MS },
  '7d': { label: 'Last 7 days, by day', bucket: 'day', buckets: 7, bucketMs: DAY_MS },
  '30d': { label: 'Last 30 days, by day', bucket: 'day', buckets: 30, bucketMs: DAY_MS },
};
const MEASURES = {
  cost: { label: 'spend (USD)', of: (row) => row.costUsd, format: (value) => format.usd(value), floor: 0.01 },
  requests: { label: 'requests', of: (row) => row.requests, format: (value) => format.count(value), floor: 1 },
};
/** The busiest series are drawn one each, the rest summed as "other": a chart of 200 keys reads as nothing. */
const MOST_SERIES = 7;
const TOTALS = [
  ['requests', 'requests'],
  ['errors', 'errors'],
  ['inputTokens', 'input tokens'],
  ['outputTokens', 'output tokens'],
  ['cost', 'cost'],
  ['unpricedRequests', 'unknown price'],
];
const GROUP_COLUMNS = ['Requests', 'Errors', 'Tokens in', 'Tokens out', 'Cost', 'Unpriced'];
/** Usage moves slowly and each refresh sums a range: every 15 seconds is live enough. */
const POLL_MS = 15_000;

export function usagePage({ container }) {
  const range = h(
    'select',
    { id: 'usage-range' },
    Object.entries(RANGES).map(([value, { label }]) => h('option', { value }, label)),
  );
  const measure = h(
    'select',
    { id: 'usage-measure' },
    Object.entries(MEASURES).map(([value, { label }]) => h('option', { value }, `Chart ${label}`)),
  );
  const refreshButton = h('button', { type: 'button', className: 'secondary', id: 'usage-refresh' }, 'Refresh');
  const updated = h('span', { className: 'muted', id: 'usage-updated' });
  const state = h('div');
  const totals = Object.fromEntries(
    TOTALS.map(([key]) => [key, h('div', { className: 'value', dataset: { total: key } }, '–')]),
  );
  const totalsElement = h(
    'div',
    { className: 'cards', id: 'usage-totals' },
    TOTALS.map(([key, label]) => h('div', { className: 'card' }, totals[key], h('div', { className: 'label' }, label))),
  );
  const charts = {
    key: new SmallChart('By client key', [], (value) => String(value), 1, 220),
    model: new SmallChart('By model', [], (value) => String(value), 1, 220),
  };
  charts.key.element.id = 'usage-chart-key';
  charts.model.element.id = 'usage-chart-model';
  const keyRows = h('tbody', { id: 'usage-by-key' });
  const modelRows = h('tbody', { id: 'usage-by-model' });
  const byKey = new KeyedRows(keyRows, { create: () => groupRow('key'), update: updateGroupRow });
  const byModel = new KeyedRows(modelRows, { create: () => groupRow('model'), update: updateGroupRow });

  fill(
    container,
    panel('Usage', h('div', { className: 'toolbar' }, range, measure, refreshButton, updated), state, totalsElement),
    h(
      'div',
      { className: 'grid-2' },
      Object.values(charts).map((chart) => h('section', { className: 'panel' }, chart.element)),
    ),
    h(
      'div',
      { className: 'grid-2' },
      panel('By client key', groupTable('Key', keyRows)),
      panel('By model (served, else requested)', groupTable('Model', modelRows)),
    ),
  );

  /** Each load is numbered; an answer that arrives after a newer load began is dropped. */
  let loads = 0;
  let report;
  const names = keyNames();

  function draw() {
    if (!report) return;
    const chosen = MEASURES[measure.value];
    for (const chart of Object.values(charts)) {
      chart.format = chosen.format;
      chart.floor = chosen.floor;
    }
    drawChart(
      charts.key,
      report,
      (row) => row.keyId,
      (keyId) => names.label(keyId),
      chosen,
    );
    drawChart(charts.model, report, (row) => row.model, modelLabel, chosen);
  }

  const page = {
    pollMs: POLL_MS,
    async refresh() {
      const ticket = ++loads;
      const chosen = RANGES[range.value];
      const to = new Date();
      const from = new Date(startOfBucket(to, chosen) - (chosen.buckets - 1) * chosen.bucketMs);
      const query = new URLSearchParams({
        from: from.toISOString(),
        to: to.toISOString(),
        bucket: chosen.bucket,
        groupBy: 'key,model',
      });
      let answer;
      try {
        // Without names the keys show as ids; the figures are what matters.
        [answer] = await Promise.all([api('GET', `/admin/usage?${query}`), names.load().catch(() => {})]);
      } catch (error) {
        if (ticket === loads) fill(state, unavailable('Usage', error));
        return;
      }
      if (ticket !== loads) return;
      fill(state);
      // The range the figures cover, for anyone comparing them with the API.
      setData(totalsElement, 'from', query.get('from'));
      setData(totalsElement, 'to', query.get('to'));
      setData(totalsElement, 'bucket', chosen.bucket);
      report = { rows: answer.rows, from: from.getTime(), ...chosen };
      renderTotals(totals, sum(answer.rows));
      byKey.render(
        groups(
          answer.rows,
          (row) => row.keyId,
          (keyId) => names.label(keyId),
        ),
        (group) => group.id,
      );
      byModel.render(
        groups(answer.rows, (row) => row.model, modelLabel),
        (group) => group.id,
      );
      draw();
      setText(updated, `${format.dateTime(from)} – now · updated ${format.time(to)}`);
    },
    destroy() {
      for (const chart of Object.values(charts)) chart.destroy();
    },
  };
  range.addEventListener('change', () => void page.refresh());
  refreshButton.addEventListener('click', () => void page.refresh());
  measure.addEventListener('change', draw);
  return page;
}

function startOfBucket(date, { bucket }) {
  const start = new Date(date);
  start.setUTCMinutes(0, 0, 0);
  if (bucket === 'day') start.setUTCHours(0);
  return start.getTime();
}

function modelLabel(model) {
  return model ?? '(no model)';
}

function sum(rows) {
  const total = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedRequests: 0 };
  for (const row of rows) for (const field of Object.keys(total)) total[field] += Number(row[field] ?? 0);
  return total;
}

function renderTotals(totals, total) {
  for (const field of ['requests', 'errors', 'inputTokens', 'outputTokens', 'unpricedRequests']) {
    setText(totals[field], format.count(total[field]));
    setData(totals[field], 'value', String(total[field]));
  }
  setText(totals.cost, format.spend(total.costUsd, total.unpricedRequests, true));
  setData(totals.cost, 'value', String(total.costUsd));
}

/** One row per key or model over the whole range, the biggest spender first. */
function groups(rows, groupOf, labelOf) {
  const byGroup = new Map();
  for (const row of rows) {
    const id = groupOf(row) ?? '';
    if (!byGroup.has(id)) byGroup.set(id, { id, label: labelOf(groupOf(row)), rows: [] });
    byGroup.get(id).rows.push(row);
  }
  return [...byGroup.values()]
    .map((group) => ({ ...group, ...sum(group.rows) }))
    .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || a.label.localeCompare(b.label));
}

function drawChart(chart, report, groupOf, labelOf, measure) {
  const xs = Array.from({ length: report.buckets }, (_, index) => (report.from + index * report.bucketMs) / 1000);
  const ranked = groups(report.rows, groupOf, labelOf).sort(
    (a, b) => measure.of(b) - measure.of(a) || a.label.localeCompare(b.label),
  );
  const drawn = ranked.slice(0, MOST_SERIES);
  const rest = new Set(ranked.slice(MOST_SERIES).map((group) => group.id));
  const series = drawn.map((group) => ({ label: group.label, ids: new Set([group.id]) }));
  if (rest.size) series.push({ label: `${rest.size} others`, ids: rest });
  const columns = series.map(() => xs.map(() => 0));
  let points = 0;
  for (const row of report.rows) {
    const slot = Math.floor((Date.parse(row.bucket) - report.from) / report.bucketMs);
    const index = series.findIndex((entry) => entry.ids.has(groupOf(row) ?? ''));
    if (slot < 0 || slot >= xs.length || index < 0) continue;
    columns[index][slot] += Number(measure.of(row) ?? 0);
    points += 1;
  }
  // How many usage rows the chart drew, for a reader (or a test) to tell an empty chart from a flat one.
  setData(chart.element, 'points', String(points));
  chart.setSeries(
    series.map((entry) => entry.label),
    [xs, ...columns],
  );
}

function groupTable(title, body) {
  return h(
    'div',
    { className: 'table-scroll' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, title),
          GROUP_COLUMNS.map((column) => h('th', { className: 'number' }, column)),
        ),
      ),
      body,
    ),
  );
}

/** A key or model; its name links to the request log filtered to it. */
function groupRow(dimension) {
  const link = h('a');
  const cells = GROUP_COLUMNS.map(() => h('td', { className: 'number' }));
  return { row: h('tr', {}, h('td', {}, link), cells), link, cells, dimension };
}

function updateGroupRow(entry, group) {
  const filter = entry.dimension === 'key' ? 'keyId' : 'model';
  setData(entry.row, entry.dimension, group.id);
  setText(entry.link, group.label);
  const href = group.id ? `#/requests?${new URLSearchParams({ [filter]: group.id })}` : '#/requests';
  if (entry.link.getAttribute('href') !== href) entry.link.setAttribute('href', href);
  const [requests, errors, input, output, cost, unpriced] = entry.cells;
  setText(requests, format.count(group.requests));
  setText(errors, format.count(group.errors));
  setText(input, format.count(group.inputTokens));
  setText(output, format.count(group.outputTokens));
  setText(cost, format.spend(group.costUsd, group.unpricedRequests));
  setText(unpriced, format.count(group.unpricedRequests));
}

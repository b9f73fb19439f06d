// Overview: the fleet as a live health board, from one GET /admin/monitoring/dashboard per refresh.
import { api } from '../api.js';
import { SmallChart, Samples } from '../charts.js';
import { fill, h, KeyedRows, panel, setData, setText, statusLabel } from '../dom.js';
import * as format from '../format.js';

/** Fleet totals sampled at each poll; kept while the tab lives, so returning to the page keeps the curve. */
const fleetSamples = new Samples(3);

const CARDS = [
  ['instances', 'instances'],
  ['passing', 'passing'],
  ['warning', 'warning'],
  ['critical', 'critical'],
  ['unknown', 'unknown'],
  ['requestRate', 'requests/s'],
  ['errorRate', 'error rate'],
  ['p95', 'latency p95'],
  ['gateways', 'gateway replicas'],
  ['policy', 'routing policy'],
];

const INSTANCE_COLUMNS = [
  ['status', 'Status'],
  ['name', 'Instance'],
  ['provider', 'Provider'],
  ['score', 'Score', 'number'],
  ['circuit', 'Circuit'],
  ['inFlight', 'In flight', 'number'],
  ['requestRate', 'Req/s', 'number'],
  ['errorRate', 'Errors', 'number'],
  ['p95', 'p95', 'number'],
  ['flags', 'State'],
  ['output', 'Last check'],
];

export function overviewPage({ container }) {
  const banner = h('p', { className: 'banner', hidden: true });
  const cards = Object.fromEntries(CARDS.map(([key]) => [key, h('div', { className: 'value' }, '–')]));
  const charts = [
    new SmallChart('Traffic (requests/s, 5-minute window)', ['requests/s'], (value) => value.toFixed(2)),
    new SmallChart('Errors (share of attempts)', ['error rate'], (value) => `${(value * 100).toFixed(1)}%`, 0.05),
    new SmallChart('Latency p95', ['p95'], (value) => format.ms(value), 100),
  ];
  const alertsBody = h('div', { id: 'overview-alerts' });
  const providerRows = h('tbody');
  const servicesRows = h('tbody');
  const instanceRows = h('tbody');
  const filter = h('input', {
    type: 'search',
    placeholder: 'Filter: name, provider, model, status',
    id: 'instance-filter',
  });
  const problemsOnly = h('input', { type: 'checkbox', id: 'problems-only' });
  const shown = h('span', { className: 'muted' });

  fill(
    container,
    banner,
    h(
      'div',
      { className: 'cards' },
      CARDS.map(([key, label]) => h('div', { className: 'card' }, cards[key], h('div', { className: 'label' }, label))),
    ),
    h(
      'div',
      { className: 'grid-3' },
      charts.map((chart) => h('section', { className: 'panel' }, chart.element)),
    ),
    h(
      'div',
      { className: 'grid-2' },
      panel('Active alerts', alertsBody),
      panel(
        'Providers',
        table(['Provider', 'Healthy', 'Req/s', 'Errors', 'p95'], providerRows, [1, 2, 3, 4]),
        h('h2', {}, 'Core services'),
        table(['Service', 'Passing', 'Replicas'], servicesRows, [1, 2]),
      ),
    ),
    panel(
      'Instances',
      h('div', { className: 'toolbar' }, filter, h('label', {}, problemsOnly, ' problems only'), shown),
      h(
        'div',
        { className: 'table-scroll' },
        h(
          'table',
          { id: 'instances-board' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              INSTANCE_COLUMNS.map(([, title, kind]) => h('th', { className: kind }, title)),
            ),
          ),
          instanceRows,
        ),
      ),
    ),
  );

  const providers = new KeyedRows(providerRows, { create: () => cellsRow(5, [1, 2, 3, 4]), update: updateProvider });
  const services = new KeyedRows(servicesRows, { create: () => cellsRow(3, [1, 2]), update: updateService });
  const instances = new KeyedRows(instanceRows, { create: createInstanceRow, update: updateInstanceRow });
  let last;

  const applyFilter = () => {
    const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let visible = 0;
    for (const entry of instances.rows.values()) {
      const hide =
        (problemsOnly.checked && entry.health === 'passing') || !words.every((word) => entry.search.includes(word));
      if (entry.row.hidden !== hide) entry.row.hidden = hide;
      if (!hide) visible += 1;
    }
    setText(shown, `${visible} of ${instances.size} shown`);
  };
  filter.addEventListener('input', applyFilter);
  problemsOnly.addEventListener('change', applyFilter);

  return {
    async refresh() {
      let dashboard;
      try {
        dashboard = await api('GET', '/admin/monitoring/dashboard');
      } catch (error) {
        if (!error.missing) throw error;
        banner.hidden = false;
        return setText(banner, 'The monitoring dashboard is not available on this instance-manager (an older build).');
      }
      if (dashboard.generatedAt === last) return;
      last = dashboard.generatedAt;
      renderBanner(banner, dashboard.sources);
      renderCards(cards, dashboard);
      renderCharts(charts, dashboard);
      renderAlerts(alertsBody, dashboard);
      providers.render(dashboard.providers, (provider) => provider.provider);
      services.render(dashboard.services, (service) => service.name);
      instances.render([...dashboard.instances].sort(byUrgency), (instance) => instance.id);
      applyFilter();
    },
    destroy() {
      for (const chart of charts) chart.destroy();
    },
  };
}

function table(titles, body, numeric = []) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        titles.map((title, index) => h('th', { className: numeric.includes(index) ? 'number' : undefined }, title)),
      ),
    ),
    body,
  );
}

function cellsRow(count, numeric) {
  const cells = Array.from({ length: count }, (_, index) =>
    h('td', { className: numeric.includes(index) ? 'number' : undefined }),
  );
  return { row: h('tr', {}, cells), cells };
}

function renderBanner(banner, sources) {
  const missing = sources?.unavailable ?? [];
  banner.hidden = missing.length === 0;
  setText(
    banner,
    missing.length ? `Some sources could not be read, their parts are missing or stale: ${missing.join('; ')}` : '',
  );
}

function renderCards(cards, dashboard) {
  const counts = { passing: 0, warning: 0, critical: 0, unknown: 0 };
  for (const instance of dashboard.instances)
    counts[instance.health.status in counts ? instance.health.status : 'unknown'] += 1;
  setText(cards.instances, String(dashboard.instances.length));
  for (const status of Object.keys(counts)) setText(cards[status], String(counts[status]));
  setText(cards.requestRate, format.rate(dashboard.traffic.requestRate));
  setText(cards.errorRate, format.percent(dashboard.traffic.errorRate));
  setText(cards.p95, format.ms(dashboard.traffic.p95Ms));
  setText(cards.gateways, String(dashboard.sources?.gatewayReplicas ?? 0));
  setText(cards.policy, dashboard.routingPolicy?.source ?? '–');
}

function renderCharts([traffic, errors, latency], dashboard) {
  const at = Date.parse(dashboard.generatedAt) / 1000;
  fleetSamples.add(at, dashboard.traffic.requestRate, dashboard.traffic.errorRate, dashboard.traffic.p95Ms ?? null);
  const [xs, rates, errorRates, p95s] = fleetSamples.data;
  traffic.setData([xs, rates]);
  errors.setData([xs, errorRates]);
  latency.setData([xs, p95s]);
}

function renderAlerts(body, dashboard) {
  const broken = (dashboard.sources?.unavailable ?? []).find((source) => source.startsWith('alerts'));
  if (broken) return fill(body, h('p', { className: 'unavailable' }, `Alerts unavailable: ${broken}`));
  if (!dashboard.alerts?.length) return fill(body, h('p', { className: 'muted' }, 'No active alerts.'));
  const key = dashboard.alerts.map((alert) => `${alert.id}:${alert.state}`).join();
  if (body.dataset.key === key) return;
  body.dataset.key = key;
  fill(
    body,
    h(
      'ul',
      { className: 'problems' },
      dashboard.alerts.map((alert) =>
        h(
          'li',
          { dataset: { alertId: alert.id, alertname: alert.alertname } },
          h('span', { className: `badge ${alert.severity}` }, alert.severity),
          statusLabel(alert.state),
          ' ',
          h('strong', {}, alert.alertname),
          ` — ${alert.summary} `,
          h('span', { className: 'muted' }, `since ${format.time(alert.firedAt ?? alert.startsAt)}`),
        ),
      ),
    ),
    h('a', { href: '#/alerts' }, 'All alerts and history'),
  );
}

function updateProvider({ cells }, provider) {
  setText(cells[0], provider.provider);
  setText(cells[1], `${provider.healthy} / ${provider.instances}`);
  setText(cells[2], format.rate(provider.traffic.requestRate));
  setText(cells[3], format.percent(provider.traffic.errorRate));
  setText(cells[4], format.ms(provider.traffic.p95Ms));
}

function updateService({ cells }, service) {
  setText(cells[0], service.name);
  setText(cells[1], String(service.passing));
  setText(cells[2], String(service.replicas.length));
}

function byUrgency(a, b) {
  const status = (instance) => format.STATUS_ORDER[instance.health.status] ?? 2;
  return status(a) - status(b) || a.provider.localeCompare(b.provider) || a.name.localeCompare(b.name);
}

function createInstanceRow(instance) {
  const cells = Object.fromEntries(
    INSTANCE_COLUMNS.map(([key, , kind]) => [key, h('td', { className: kind, dataset: { field: key } })]),
  );
  cells.output.className = 'wrap';
  const link = h('a', { href: `#/instances/${encodeURIComponent(instance.id)}` });
  const statusBadge = statusLabel('unknown');
  const circuitBadge = statusLabel('closed');
  cells.name.append(link);
  cells.status.append(statusBadge);
  cells.circuit.append(circuitBadge);
  const row = h('tr', { dataset: { instanceId: instance.id } }, Object.values(cells));
  return { row, cells, link, statusBadge, circuitBadge, health: 'unknown', search: '' };
}

function updateInstanceRow(entry, instance) {
  const { cells } = entry;
  const status = instance.health.status;
  setData(entry.row, 'status', status);
  setData(entry.statusBadge, 'status', status);
  setText(entry.statusBadge, status);
  setText(entry.link, instance.name);
  setText(cells.provider, instance.provider);
  setText(cells.score, format.score(instance.health.score));
  setData(entry.circuitBadge, 'status', instance.circuit.state);
  setText(entry.circuitBadge, instance.circuit.state.replace('_', '-'));
  setText(cells.inFlight, String(instance.inFlight));
  setText(cells.requestRate, format.rate(instance.traffic.requestRate));
  setText(cells.errorRate, format.percent(instance.traffic.errorRate));
  setText(cells.p95, format.ms(instance.traffic.p95Ms));
  const flags = [!instance.enabled && 'disabled', instance.draining && 'draining'].filter(Boolean);
  setText(cells.flags, flags.join(', ') || 'serving');
  setText(cells.output, instance.health.output ?? '');
  entry.health = status;
  entry.search = `${instance.name} ${instance.provider} ${status} ${instance.models.join(' ')}`.toLowerCase();
}

// Instance detail: health and check output over time, charts from the traffic window, circuit,
// recent failures with their reason, and the operator's actions.
import { api } from '../api.js';
import { SmallChart } from '../charts.js';
import { fill, h, KeyedRows, panel, setText, statusLabel, unavailable } from '../dom.js';
import * as format from '../format.js';

/** What the polls saw of each instance, kept while the tab lives (the API keeps no check history). */
const observed = new Map();
const HISTORY_LIMIT = 100;

const ACTIONS = [
  ['enable', 'Enable', (instance) => !instance.enabled],
  ['disable', 'Disable', (instance) => instance.enabled],
  ['drain', 'Drain', (instance) => !instance.draining],
  ['undrain', 'Undrain', (instance) => instance.draining],
  ['probe', 'Probe now', () => true],
];

export function instancePage({ container, params }) {
  const id = params.id;
  const memory = observed.get(id) ?? { checks: [], failures: new Map(), serial: 0 };
  observed.set(id, memory);

  const title = h('h1', {}, 'Instance');
  const headline = h('div', { className: 'toolbar' });
  const actionResult = h('p', { id: 'action-result', role: 'status' });
  const buttons = Object.fromEntries(
    ACTIONS.map(([action, label]) => [
      action,
      h('button', { type: 'button', className: 'secondary', dataset: { action }, onclick: () => act(action) }, label),
    ]),
  );
  const healthPanel = h('dl', { className: 'kv', id: 'instance-health' });
  const circuitPanel = h('dl', { className: 'kv', id: 'instance-circuit' });
  const configPanel = h('dl', { className: 'kv' });
  const latency = new SmallChart('Latency per 10 s slot', ['p50', 'p95'], (value) => format.ms(value), 100);
  const traffic = new SmallChart('Attempts per 10 s slot', ['requests', 'errors'], (value) => value.toFixed(0));
  const chartNote = h('p', { className: 'muted' });
  const checkRows = h('tbody', { id: 'check-history' });
  const failureRows = h('tbody', { id: 'recent-failures' });
  const auditRows = h('tbody');
  const checks = new KeyedRows(checkRows, { create: () => row(4), update: updateCheck });
  const failures = new KeyedRows(failureRows, { create: () => row(4), update: updateFailure });
  const audit = new KeyedRows(auditRows, { create: () => row(3), update: updateAudit });
  let current;

  fill(
    container,
    h('p', {}, h('a', { href: '#/overview' }, '← Overview')),
    title,
    headline,
    h('div', { className: 'toolbar' }, Object.values(buttons)),
    actionResult,
    h(
      'div',
      { className: 'grid-3' },
      panel('Health', healthPanel),
      panel('Circuit and traffic', circuitPanel),
      panel('Configuration', configPanel),
    ),
    h('div', { className: 'grid-2' }, panel('Latency', latency.element, chartNote), panel('Traffic', traffic.element)),
    h(
      'div',
      { className: 'grid-2' },
      panel(
        'Check history (seen by this console)',
        h('div', { className: 'table-scroll' }, headed(['Seen', 'Status', 'Score', 'Output'], checkRows)),
      ),
      panel(
        'Recent failures',
        h('div', { className: 'table-scroll' }, headed(['Source', 'Reason', 'First seen', 'Last seen'], failureRows)),
      ),
    ),
    panel('Changes (audit log)', headed(['When', 'Who', 'What'], auditRows)),
  );

  async function act(action) {
    for (const button of Object.values(buttons)) button.disabled = true;
    setText(actionResult, `${action}…`);
    try {
      const result = await api('POST', `/admin/instances/${encodeURIComponent(id)}/${action}`);
      setText(actionResult, describeAction(action, result));
    } catch (error) {
      setText(actionResult, `${action} failed: ${error.message}`);
    }
    await page.refresh().catch(() => {});
  }

  const page = {
    async refresh() {
      const path = `/admin/instances/${encodeURIComponent(id)}`;
      const [instance, health, series, dashboard, changes] = await Promise.allSettled([
        api('GET', path),
        api('GET', `${path}/health`),
        api('GET', `/admin/monitoring/instances/${encodeURIComponent(id)}/series`),
        api('GET', '/admin/monitoring/dashboard'),
        api('GET', `/admin/audit?targetId=${encodeURIComponent(id)}`),
      ]);
      if (instance.status === 'rejected') {
        if (instance.reason.status === 404) fill(container, h('p', { className: 'error' }, `No instance ${id}.`));
        throw instance.reason;
      }
      current = instance.value;
      const monitor =
        dashboard.status === 'fulfilled' ? dashboard.value.instances.find((entry) => entry.id === id) : undefined;
      renderHeadline(current, health.value, monitor);
      for (const [action, , applies] of ACTIONS) buttons[action].disabled = !applies(current);
      remember(memory, health.value, monitor);
      renderHealth(healthPanel, health);
      renderCircuit(circuitPanel, monitor, dashboard);
      renderConfig(configPanel, current);
      renderSeries(series, latency, traffic, chartNote);
      checks.render([...memory.checks].reverse(), (entry) => entry.serial);
      failures.render([...memory.failures.values()].reverse(), (entry) => entry.key);
      if (changes.status === 'fulfilled') audit.render(changes.value.slice(0, 20), (entry) => entry.id);
    },
    destroy() {
      latency.destroy();
      traffic.destroy();
    },
  };

  function renderHeadline(instance, health, monitor) {
    setText(title, instance.name);
    const status = monitor?.health.status ?? health?.metrics?.status ?? 'unknown';
    fill(
      headline,
      statusLabel(status),
      h('span', { className: 'badge' }, instance.provider),
      instance.enabled ? null : h('span', { className: 'badge warning' }, 'disabled'),
      instance.draining ? h('span', { className: 'badge warning' }, 'draining') : null,
      h('span', { className: 'muted' }, instance.models.join(', ')),
    );
  }

  return page;
}

function row(count) {
  const cells = Array.from({ length: count }, () => h('td'));
  cells[count - 1].className = 'wrap';
  return { row: h('tr', {}, cells), cells };
}

function headed(titles, body) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        titles.map((title) => h('th', {}, title)),
      ),
    ),
    body,
  );
}

function describeAction(action, result) {
  if (action === 'probe') return `Probe: ${result.status}${result.output ? ` — ${result.output}` : ''}`;
  const effects = {
    enable: 'enabled: registered in Consul and probed again',
    disable: 'disabled: deregistered from Consul, no traffic',
    drain: 'draining: stays registered in Consul (tag "draining") but gets no new work',
    undrain: 'serving again: the "draining" tag is gone',
  };
  return `${result.name} ${effects[action]}.`;
}

/** Adds what this poll saw: a check change to the history, a failure reason to the failures. */
function remember(memory, health, monitor) {
  const now = new Date().toISOString();
  const status = health?.consul?.status ?? monitor?.health.status ?? health?.metrics?.status ?? 'unknown';
  const output = health?.consul?.output ?? monitor?.health.output ?? '';
  const score = health?.metrics?.score ?? monitor?.health.score;
  const last = memory.checks[memory.checks.length - 1];
  if (!last || last.status !== status || last.output !== output) {
    memory.serial += 1;
    memory.checks.push({ serial: memory.serial, at: now, status, output, score });
    if (memory.checks.length > HISTORY_LIMIT) memory.checks.shift();
  } else last.score = score;

  const note = (source, reason, at = now) => {
    if (!reason) return;
    // Outputs differ in their counts and timings from probe to probe ("failed 3x … after 24 ms"): one entry per kind.
    const key = `${source}\u0000${reason.replace(/\d+/g, '#')}`;
    const known = memory.failures.get(key);
    if (known) Object.assign(known, { lastSeen: at, reason });
    else memory.failures.set(key, { key, source, reason, firstSeen: at, lastSeen: at });
  };
  if (health?.metrics?.lastOutcome === 'failure') note('probe', health.metrics.lastError, health.metrics.lastProbeAt);
  if (status === 'critical' || status === 'warning') note(`check (${status})`, output);
  if (monitor?.circuit.lastError) note(`live traffic (circuit ${monitor.circuit.state})`, monitor.circuit.lastError);
  while (memory.failures.size > HISTORY_LIMIT) memory.failures.delete(memory.failures.keys().next().value);
}

function updateCheck({ cells }, entry) {
  setText(cells[0], format.time(entry.at));
  fill(cells[1], statusLabel(entry.status));
  setText(cells[2], format.score(entry.score));
  setText(cells[3], entry.output);
}

function updateFailure({ cells }, entry) {
  setText(cells[0], entry.source);
  setText(cells[1], entry.reason);
  setText(cells[2], format.time(entry.firstSeen));
  setText(cells[3], format.time(entry.lastSeen));
  cells[1].className = 'wrap';
  cells[3].className = '';
}

function updateAudit({ cells }, entry) {
  setText(cells[0], format.dateTime(entry.createdAt));
  setText(cells[1], entry.actor);
  setText(cells[2], entry.action);
}

function definitions(list, pairs) {
  fill(
    list,
    pairs.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value ?? '–')]),
  );
}

function renderHealth(list, health) {
  if (health.status === 'rejected') return fill(list, unavailable('Health', health.reason));
  const { metrics, consul } = health.value;
  definitions(list, [
    ['Consul check', consul.registered ? statusLabel(consul.status ?? 'unknown') : 'not registered'],
    ['Check output', consul.output],
    ['Probe status', metrics ? statusLabel(metrics.status) : 'not probed yet'],
    ['Score', format.score(metrics?.score)],
    ['Latency (EWMA)', format.ms(metrics?.latencyEwmaMs)],
    ['Failures in a row', metrics ? String(metrics.consecutiveFailures) : undefined],
    ['Recent probes', metrics ? `${metrics.windowSuccesses} ok, ${metrics.windowFailures} failed` : undefined],
    ['Last probe', format.dateTime(metrics?.lastProbeAt)],
    ['Last error', metrics?.lastError],
  ]);
}

function renderCircuit(list, monitor, dashboard) {
  if (dashboard.status === 'rejected') return fill(list, unavailable('Monitoring', dashboard.reason));
  if (!monitor) return fill(list, h('p', { className: 'muted' }, 'Not in the monitoring dashboard yet.'));
  definitions(list, [
    ['Circuit', statusLabel(monitor.circuit.state)],
    ['Since', format.dateTime(monitor.circuit.since)],
    ['Replicas not closed', monitor.circuit.replicas.join(', ') || 'none'],
    ['Last failure', monitor.circuit.lastError],
    ['In flight', String(monitor.inFlight)],
    ['Requests/s', format.rate(monitor.traffic.requestRate)],
    ['Error rate', format.percent(monitor.traffic.errorRate)],
    ['Latency p50 / p95', `${format.ms(monitor.traffic.p50Ms)} / ${format.ms(monitor.traffic.p95Ms)}`],
    ['Retries after its failures', String(monitor.traffic.retries)],
  ]);
}

function renderConfig(list, instance) {
  definitions(list, [
    ['Base URL', instance.baseUrl],
    ['Models', instance.models.join(', ')],
    ['Weight / priority', `${instance.weight} / ${instance.priority}`],
    ['Region', instance.region],
    ['Tags', instance.tags.join(', ') || '–'],
    ['API key', instance.apiKey.masked ?? instance.apiKey.environmentVariable ?? instance.apiKey.source],
    ['Max concurrency', instance.maxConcurrency === null ? 'no cap' : String(instance.maxConcurrency)],
    [
      'Timeouts',
      `request ${format.ms(instance.timeouts.requestMs)}, first token ${format.ms(instance.timeouts.firstTokenMs)}, idle ${format.ms(instance.timeouts.idleMs)}`,
    ],
  ]);
}

function renderSeries(series, latency, traffic, note) {
  if (series.status === 'rejected') {
    setText(note, `Charts unavailable: ${series.reason.message}`);
    return;
  }
  setText(note, '');
  const points = series.value.points;
  const xs = points.map((point) => Date.parse(point.at) / 1000);
  latency.setData([xs, points.map((point) => point.p50Ms ?? null), points.map((point) => point.p95Ms ?? null)]);
  traffic.setData([xs, points.map((point) => point.requests), points.map((point) => point.errors)]);
}

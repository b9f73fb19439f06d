// Alerts: active and resolved alerts, and the webhooks they are sent to.
import { api } from '../api.js';
import { confirmButton, fill, h, KeyedRows, panel, setText, statusLabel, unavailable } from '../dom.js';
import * as format from '../format.js';

export function alertsPage({ container }) {
  const activeRows = h('tbody', { id: 'alerts-active' });
  const historyRows = h('tbody', { id: 'alerts-history' });
  const webhookRows = h('tbody', { id: 'webhooks' });
  const alertsState = h('div');
  const webhooksState = h('div');
  const formResult = h('p', { role: 'status' });
  const name = h('input', { id: 'webhook-name', placeholder: 'ops-slack', required: true });
  const kind = h(
    'select',
    { id: 'webhook-kind' },
    h('option', { value: 'json' }, 'json'),
    h('option', { value: 'slack' }, 'slack'),
  );
  // The URL is a secret (a Slack URL is its own credential): it is sent once in a body and never shown again.
  const url = h('input', {
    id: 'webhook-url',
    type: 'url',
    placeholder: 'https://hooks.slack.com/services/…',
    size: 40,
  });
  const active = new KeyedRows(activeRows, { create: () => alertRow(), update: updateAlert });
  const history = new KeyedRows(historyRows, { create: () => alertRow(), update: updateAlert });
  const webhooks = new KeyedRows(webhookRows, {
    create: (hook) => webhookRow(hook, refreshWebhooks),
    update: updateWebhook,
  });

  async function addWebhook(event) {
    event.preventDefault();
    try {
      const created = await api('POST', '/admin/alerts/webhooks', {
        name: name.value.trim(),
        kind: kind.value,
        url: url.value.trim(),
      });
      url.value = '';
      name.value = '';
      fill(formResult, h('span', { className: 'ok' }, `Added ${created.name} (${created.target}).`));
      await refreshWebhooks();
    } catch (error) {
      fill(
        formResult,
        h('span', { className: 'error' }, error.message),
        ...(error.details ?? []).map((detail) => h('div', { className: 'error' }, detail)),
      );
    }
  }

  async function refreshWebhooks() {
    try {
      webhooks.render(await api('GET', '/admin/alerts/webhooks'), (hook) => hook.id);
      fill(webhooksState);
    } catch (error) {
      fill(webhooksState, unavailable('Webhooks', error));
    }
  }

  fill(
    container,
    panel('Active alerts', alertsState, alertTable(activeRows)),
    panel('History (resolved)', alertTable(historyRows)),
    panel(
      'Webhooks',
      webhooksState,
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Kind', 'Target', 'Enabled', 'Last delivery', 'Last error', ''].map((title) => h('th', {}, title)),
          ),
        ),
        webhookRows,
      ),
      h(
        'form',
        { className: 'toolbar', onsubmit: addWebhook },
        name,
        kind,
        url,
        h('button', { type: 'submit' }, 'Add webhook'),
        formResult,
      ),
    ),
  );

  return {
    async refresh() {
      try {
        const alerts = await api('GET', '/admin/alerts?limit=100');
        fill(alertsState, alerts.active.length ? null : h('p', { className: 'muted' }, 'No active alerts.'));
        active.render(alerts.active, (alert) => alert.id);
        history.render(alerts.history, (alert) => alert.id);
      } catch (error) {
        fill(alertsState, unavailable('Alerts', error));
      }
      await refreshWebhooks();
    },
  };
}

function alertTable(body) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Severity', 'State', 'Alert', 'Summary', 'Labels', 'Started', 'Fired', 'Ended'].map((title) =>
          h('th', {}, title),
        ),
      ),
    ),
    body,
  );
}

function alertRow() {
  const cells = Array.from({ length: 8 }, () => h('td'));
  cells[3].className = 'wrap';
  cells[4].className = 'wrap';
  return { row: h('tr', {}, cells), cells };
}

function updateAlert({ row, cells }, alert) {
  row.dataset.alertname = alert.alertname;
  fill(cells[0], h('span', { className: `badge ${alert.severity}` }, alert.severity));
  fill(cells[1], statusLabel(alert.state));
  setText(cells[2], alert.alertname);
  setText(cells[3], alert.description ? `${alert.summary} — ${alert.description}` : alert.summary);
  setText(
    cells[4],
    Object.entries(alert.labels ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(' '),
  );
  setText(cells[5], format.dateTime(alert.startsAt));
  setText(cells[6], format.dateTime(alert.firedAt));
  setText(cells[7], format.dateTime(alert.endsAt));
}

function webhookRow(hook, refresh) {
  const cells = Array.from({ length: 7 }, () => h('td'));
  const result = h('span', { className: 'muted' });
  const test = h('button', { type: 'button', className: 'secondary', dataset: { action: 'test' } }, 'Test');
  test.addEventListener('click', async () => {
    test.disabled = true;
    setText(result, 'sending…');
    try {
      const outcome = await api('POST', `/admin/alerts/webhooks/${encodeURIComponent(hook.id)}/test`);
      setText(result, outcome.delivered ? 'delivered' : `not delivered: ${outcome.error ?? 'unknown reason'}`);
    } catch (error) {
      setText(result, error.message);
    } finally {
      test.disabled = false;
    }
    await refresh();
  });
  const remove = confirmButton('Delete', 'Really delete?', async () => {
    await api('DELETE', `/admin/alerts/webhooks/${encodeURIComponent(hook.id)}`);
    await refresh();
  });
  cells[6].append(test, ' ', remove, ' ', result);
  return { row: h('tr', { dataset: { webhook: hook.name } }, cells), cells };
}

function updateWebhook({ cells }, hook) {
  setText(cells[0], hook.name);
  setText(cells[1], hook.kind);
  setText(cells[2], hook.target);
  setText(cells[3], hook.enabled ? 'yes' : 'no');
  setText(cells[4], format.dateTime(hook.lastDeliveryAt));
  setText(cells[5], hook.lastError ?? '');
}

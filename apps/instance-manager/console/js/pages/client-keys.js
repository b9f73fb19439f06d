// Client keys: the gateway's API keys for client applications. A new key is shown once, here.
import { api } from '../api.js';
import { confirmButton, fill, h, KeyedRows, panel, setText, unavailable } from '../dom.js';
import * as format from '../format.js';

const COLUMNS = [
  'Name',
  'Prefix',
  'Requests/min',
  'Tokens/min',
  'Daily budget',
  'Monthly budget',
  'Models',
  'Providers',
  'Expires',
  'Bodies logged',
  'Created',
  'Last used',
  'Revoked',
  '',
];

export function clientKeysPage({ container }) {
  const rows = h('tbody', { id: 'client-keys' });
  const state = h('div');
  const created = h('div', { role: 'status' });
  const name = h('input', { id: 'key-name', placeholder: 'mobile-app', required: true });
  const rpm = h('input', { id: 'key-rpm', type: 'number', min: 1, placeholder: 'requests/min (optional)' });
  const showRevoked = h('input', { type: 'checkbox', id: 'show-revoked' });
  const keys = new KeyedRows(rows, { create: (key) => keyRow(key, () => page.refresh()), update: updateKey });

  async function create(event) {
    event.preventDefault();
    const body = { name: name.value.trim(), ...(rpm.value ? { rateLimitRpm: Number(rpm.value) } : {}) };
    try {
      const key = await api('POST', '/admin/client-keys', body);
      name.value = '';
      rpm.value = '';
      fill(
        created,
        h('p', {}, `Key for ${key.name}. Copy it now: it is not stored and cannot be shown again.`),
        h('p', { className: 'secret', id: 'new-client-key' }, key.key),
      );
      await page.refresh();
    } catch (error) {
      fill(
        created,
        h('p', { className: 'error' }, error.message),
        ...(error.details ?? []).map((detail) => h('div', { className: 'error' }, detail)),
      );
    }
  }

  fill(
    container,
    panel(
      'Client keys',
      h('form', { className: 'toolbar', onsubmit: create }, name, rpm, h('button', { type: 'submit' }, 'Create key')),
      created,
      h('label', {}, showRevoked, ' show revoked keys'),
      state,
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            COLUMNS.map((title) => h('th', {}, title)),
          ),
        ),
        rows,
      ),
    ),
  );
  showRevoked.addEventListener('change', () => void page.refresh());

  const page = {
    async refresh() {
      try {
        keys.render(await api('GET', `/admin/client-keys?includeRevoked=${showRevoked.checked}`), (key) => key.id);
        fill(state);
      } catch (error) {
        fill(state, unavailable('Client keys', error));
      }
    },
  };
  return page;
}

function keyRow(key, refresh) {
  const cells = Array.from({ length: COLUMNS.length }, () => h('td'));
  const revoke = confirmButton('Revoke', 'Really revoke?', async () => {
    await api('DELETE', `/admin/client-keys/${encodeURIComponent(key.id)}`);
    await refresh();
  });
  cells[COLUMNS.length - 1].append(revoke);
  return { row: h('tr', { dataset: { key: key.name } }, cells), cells, revoke };
}

function updateKey({ cells, revoke }, key) {
  setText(cells[0], key.name);
  setText(cells[1], `${key.prefix}…`);
  // null is no limit, for each of them; empty lists allow everything.
  setText(cells[2], limit(key.rateLimitRpm));
  setText(cells[3], limit(key.tokensPerMinute));
  setText(cells[4], usd(key.dailyBudgetUsd));
  setText(cells[5], usd(key.monthlyBudgetUsd));
  setText(cells[6], key.allowedModels?.length ? key.allowedModels.join(', ') : 'all');
  setText(cells[7], key.allowedProviders?.length ? key.allowedProviders.join(', ') : 'all');
  setText(cells[8], key.expiresAt ? format.dateTime(key.expiresAt) : 'never');
  setText(cells[9], key.logBodies ? 'yes' : 'no');
  setText(cells[10], format.dateTime(key.createdAt));
  setText(cells[11], format.dateTime(key.lastUsedAt));
  setText(cells[12], format.dateTime(key.revokedAt));
  revoke.hidden = Boolean(key.revokedAt);
}

function limit(value) {
  return value === null || value === undefined ? 'no limit' : String(value);
}

function usd(value) {
  return value === null || value === undefined ? 'no limit' : `$${value}`;
}

// Audit log: who changed what, newest first (the latest 100 changes).
import { api } from '../api.js';
import { fill, h, KeyedRows, panel, setText, unavailable } from '../dom.js';
import * as format from '../format.js';

export function auditPage({ container }) {
  const rows = h('tbody', { id: 'audit-rows' });
  const state = h('div');
  const target = h('input', {
    type: 'search',
    id: 'audit-target',
    placeholder: 'Only this target id (an instance id, a key id …)',
    size: 44,
  });
  const entries = new KeyedRows(rows, { create: createRow, update: updateRow });
  const page = {
    async refresh() {
      const query = target.value.trim() ? `?targetId=${encodeURIComponent(target.value.trim())}` : '';
      try {
        entries.render(await api('GET', `/admin/audit${query}`), (entry) => entry.id);
        fill(state);
      } catch (error) {
        fill(state, unavailable('The audit log', error));
      }
    },
  };
  target.addEventListener('change', () => void page.refresh());
  fill(
    container,
    panel(
      'Audit log',
      h('div', { className: 'toolbar' }, target),
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
            ['When', 'Who', 'Action', 'Target', 'Details'].map((title) => h('th', {}, title)),
          ),
        ),
        rows,
      ),
    ),
  );
  return page;
}

function createRow() {
  const cells = Array.from({ length: 5 }, () => h('td'));
  cells[4].className = 'wrap';
  return { row: h('tr', {}, cells), cells };
}

function updateRow({ cells }, entry) {
  setText(cells[0], format.dateTime(entry.createdAt));
  setText(cells[1], entry.actor);
  setText(cells[2], entry.action);
  setText(cells[3], `${entry.targetType}${entry.targetId ? ` ${entry.targetId}` : ''}`);
  setText(cells[4], JSON.stringify(entry.details ?? {}));
}

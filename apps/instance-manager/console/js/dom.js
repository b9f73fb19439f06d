// Small DOM helpers. Text goes in as text (never as HTML), so nothing an API returns can become markup.

/** h('td', { className: 'number', dataset: { field: 'score' } }, 'text', childNode, ...) */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key in element && key !== 'list') element[key] = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Writes only when the text changed: a poll that changes nothing touches nothing. */
export function setText(element, text) {
  const value = text ?? '';
  if (element.textContent !== value) element.textContent = value;
}

export function setData(element, key, value) {
  const text = value ?? '';
  if (element.dataset[key] !== text) element.dataset[key] = text;
}

/** A status dot with its word, coloured by console.css from data-status. */
export function statusLabel(status) {
  return h('span', { className: 'status', dataset: { status } }, status);
}

export function panel(title, ...children) {
  return h('section', { className: 'panel' }, h('h2', {}, title), ...children);
}

/** "Unavailable" in place of a part whose endpoint is missing or failing, with why. */
export function unavailable(what, error) {
  return h('p', { className: 'unavailable' }, `${what} unavailable: ${error.message}`);
}

/**
 * Rows of a table kept by key: a refresh adds new rows, updates cells of existing ones in place,
 * removes rows that went away and moves only rows whose position changed. With 500 instances a
 * poll rewrites just the cells whose text changed.
 */
export class KeyedRows {
  constructor(tbody, { create, update }) {
    this.tbody = tbody;
    this.create = create;
    this.update = update;
    this.rows = new Map();
  }

  render(items, keyOf) {
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      let entry = this.rows.get(key);
      if (!entry) {
        entry = this.create(item);
        this.rows.set(key, entry);
      }
      this.update(entry, item);
      const expected = previous ? previous.nextSibling : this.tbody.firstChild;
      if (expected !== entry.row) this.tbody.insertBefore(entry.row, expected);
      previous = entry.row;
    }
    for (const [key, entry] of this.rows)
      if (!seen.has(key)) {
        entry.row.remove();
        this.rows.delete(key);
      }
  }

  get size() {
    return this.rows.size;
  }
}

/** A button that asks "sure?" on the first click and acts on the second (no blocking dialogs). */
export function confirmButton(label, confirmLabel, action, className = 'danger') {
  let armed;
  const button = h('button', { type: 'button', className }, label);
  button.addEventListener('click', async () => {
    if (!armed) {
      button.textContent = confirmLabel;
      armed = setTimeout(() => {
        armed = undefined;
        button.textContent = label;
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = undefined;
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  });
  return button;
}

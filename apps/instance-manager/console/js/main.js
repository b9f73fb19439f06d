// The console's shell: sign-in, hash routing between pages, and the poll that keeps the page live.
import { api, session, whenUnauthorized } from './api.js';
import { setText } from './dom.js';
import { alertsPage } from './pages/alerts.js';
import { auditPage } from './pages/audit.js';
import { clientKeysPage } from './pages/client-keys.js';
import { instancePage } from './pages/instance.js';
import { overviewPage } from './pages/overview.js';
import { requestsPage } from './pages/requests.js';
import { routingPage } from './pages/routing.js';
import { usagePage } from './pages/usage.js';

/**
 * Short polling: one dashboard request per refresh, paused while the tab is hidden. A page whose
 * figures move slowly (usage, the request log) sets its own, longer `pollMs`.
 */
const POLL_MS = 2000;
const PAGES = {
  overview: overviewPage,
  instances: instancePage,
  routing: routingPage,
  alerts: alertsPage,
  keys: clientKeysPage,
  audit: auditPage,
  usage: usagePage,
  requests: requestsPage,
};

const byId = (id) => document.getElementById(id);
let current;
let timer;
/** Moves on with each page shown, so a refresh that ends after navigation schedules nothing. */
let generation = 0;
/** One refresh at a time: a tab shown again while one runs does not start a second loop. */
let refreshing = false;

function showLogin(message = '') {
  stopPage();
  byId('topbar').hidden = true;
  byId('view').hidden = true;
  byId('login').hidden = false;
  setText(byId('login-error'), message);
  byId('login-token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const input = byId('login-token');
  const token = input.value.trim();
  const button = event.submitter;
  if (button) button.disabled = true;
  try {
    // Any admin call proves the token; this one is cheap and read-only.
    await api('GET', '/admin/instances/supervisor', undefined, token);
  } catch (error) {
    setText(byId('login-error'), error.status === 401 ? 'That admin token is not valid.' : error.message);
    return;
  } finally {
    if (button) button.disabled = false;
  }
  input.value = '';
  session.token = token;
  showApp();
}

function signOut() {
  session.token = null;
  history.replaceState(null, '', location.pathname);
  showLogin();
}

function showApp() {
  byId('login').hidden = true;
  byId('topbar').hidden = false;
  byId('view').hidden = false;
  route();
}

/** `#/instances/<id>`, or `#/<page>?<query>` where the query carries a page's filters (the request log's). */
function parseRoute() {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...rest] = path.split('/');
  if (name === 'instances' && rest[0]) return { name, params: { id: decodeURIComponent(rest[0]) } };
  return { name: PAGES[name] ? name : 'overview', params: { query: new URLSearchParams(search) } };
}

function route() {
  if (!session.token) return showLogin();
  stopPage();
  const { name, params } = parseRoute();
  for (const link of document.querySelectorAll('[data-nav]'))
    link.classList.toggle(
      'active',
      link.dataset.nav === name || (name === 'instances' && link.dataset.nav === 'overview'),
    );
  const container = byId('view');
  container.replaceChildren();
  generation += 1;
  current = PAGES[name]({ container, params });
  void tick(generation);
}

function stopPage() {
  clearTimeout(timer);
  current?.destroy?.();
  current = undefined;
}

async function tick(seen) {
  clearTimeout(timer);
  if (seen !== generation || !current || refreshing) return;
  if (document.hidden) {
    setText(byId('refresh-status'), 'Paused while this tab is hidden');
    return;
  }
  refreshing = true;
  try {
    await current.refresh();
    if (seen === generation) setText(byId('refresh-status'), `Live · updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    if (seen === generation) setText(byId('refresh-status'), `Refresh failed: ${error.message}`);
  } finally {
    refreshing = false;
  }
  if (seen === generation) timer = setTimeout(() => void tick(seen), current?.pollMs ?? POLL_MS);
  // A page shown while this refresh ran was turned away by `refreshing`: its loop starts now.
  else void tick(generation);
}

function start() {
  byId('login-form').addEventListener('submit', signIn);
  byId('logout').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void tick(generation);
  });
  whenUnauthorized(() => {
    session.token = null;
    showLogin('The admin token was refused; sign in again.');
  });
  if (session.token) showApp();
  else showLogin();
}

start();

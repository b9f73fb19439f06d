// Routing: the policy in force, an editor that saves with compare-and-set, and a tester that asks
// the instance-manager where a sample request would be routed.
import { api, apiIfMatch } from '../api.js';
import { fill, h, panel, setText } from '../dom.js';

const SAMPLE_REQUEST = { model: 'auto', messages: [{ role: 'user', content: 'Summarise this paragraph for me.' }] };

export function routingPage({ container }) {
  const meta = h('p', { id: 'policy-meta', className: 'muted' });
  const editor = h('textarea', { id: 'policy-editor', rows: 28, spellcheck: false });
  const problems = h('div', { id: 'policy-problems', role: 'alert' });
  const saved = h('p', { id: 'policy-saved', className: 'ok', role: 'status' });
  const newer = h('p', { className: 'banner', hidden: true });
  const sample = h('textarea', { id: 'preview-request', rows: 8, spellcheck: false });
  sample.value = JSON.stringify(SAMPLE_REQUEST, null, 2);
  const preferred = h(
    'select',
    { id: 'preview-prefer' },
    h('option', { value: '' }, 'no preferred provider'),
    ['openai', 'claude', 'zai', 'perplexity'].map((provider) => h('option', { value: provider }, provider)),
  );
  const allowFallback = h('input', { type: 'checkbox', id: 'preview-allow-fallback' });
  const useDraft = h('input', { type: 'checkbox', id: 'preview-use-draft' });
  const result = h('div', { id: 'preview-result' });
  let inForce;
  let dirty = false;

  editor.addEventListener('input', () => {
    dirty = true;
    setText(saved, '');
  });

  const load = (policyDocument) => {
    inForce = policyDocument;
    editor.value = JSON.stringify(policyDocument.policy, null, 2);
    dirty = false;
    newer.hidden = true;
    renderMeta(meta, policyDocument);
  };

  async function save() {
    fill(problems);
    setText(saved, '');
    let policy;
    try {
      policy = JSON.parse(editor.value);
    } catch (error) {
      return showProblems(problems, 'The policy is not valid JSON', [error.message]);
    }
    try {
      load(await apiIfMatch('PUT', '/admin/routing-policy', policy, inForce.modifyIndex));
      setText(saved, `Saved: version ${inForce.modifyIndex}. The gateways apply it within a second.`);
    } catch (error) {
      const hint = error.status === 409 ? ' Reload to see the current version, then apply your change to it.' : '';
      showProblems(problems, `${error.message}${hint}`, error.details);
    }
  }

  async function preview() {
    let body;
    try {
      body = JSON.parse(sample.value);
    } catch (error) {
      return fill(result, h('p', { className: 'error' }, `The sample request is not valid JSON: ${error.message}`));
    }
    const headers = {};
    if (preferred.value) headers['x-switchboard-prefer-provider'] = preferred.value;
    if (allowFallback.checked) headers['x-switchboard-allow-fallback'] = 'true';
    if (Object.keys(headers).length) body.headers = { ...body.headers, ...headers };
    if (useDraft.checked) {
      try {
        body.policy = JSON.parse(editor.value);
      } catch (error) {
        return fill(result, h('p', { className: 'error' }, `The draft policy is not valid JSON: ${error.message}`));
      }
    }
    try {
      renderPreview(result, await api('POST', '/admin/routing-policy/preview', body));
    } catch (error) {
      if (error.missing)
        return fill(
          result,
          h('p', { className: 'unavailable' }, 'The routing preview is not available on this instance-manager.'),
        );
      fill(result, h('p', { className: 'error' }, error.message), problemList(error.details));
    }
  }

  fill(
    container,
    panel(
      'Routing policy',
      meta,
      newer,
      h(
        'div',
        { className: 'editor' },
        h(
          'div',
          {},
          editor,
          h(
            'div',
            { className: 'toolbar' },
            h('button', { type: 'button', id: 'policy-save', onclick: save }, 'Save'),
            h(
              'button',
              {
                type: 'button',
                className: 'secondary',
                onclick: async () => load(await api('GET', '/admin/routing-policy')),
              },
              'Reload (discard changes)',
            ),
            saved,
          ),
        ),
        h('aside', {}, h('h2', {}, 'Problems'), problems),
      ),
    ),
    panel(
      'What would route where',
      h(
        'p',
        { className: 'muted' },
        'A chat request in OpenAI format (model, messages, tools, response_format …). Nothing is sent to a provider.',
      ),
      sample,
      h(
        'div',
        { className: 'toolbar' },
        preferred,
        h('label', {}, allowFallback, ' allow fallback to other providers'),
        h('label', {}, useDraft, ' route by the draft in the editor'),
        h('button', { type: 'button', id: 'preview-run', onclick: preview }, 'Preview'),
      ),
      result,
    ),
  );

  return {
    async refresh() {
      const stored = await api('GET', '/admin/routing-policy');
      if (!inForce || (!dirty && stored.modifyIndex !== inForce.modifyIndex)) return load(stored);
      if (stored.modifyIndex !== inForce.modifyIndex) {
        newer.hidden = false;
        setText(
          newer,
          `Version ${stored.modifyIndex} was stored since you started editing version ${inForce.modifyIndex}; saving now would be refused.`,
        );
      }
    },
  };
}

function renderMeta(meta, policyDocument) {
  const source = {
    consul: 'stored in Consul KV',
    default: 'built-in default (nothing stored in Consul KV)',
    invalid: 'Consul KV holds a refused inForce; the gateways keep their last good policy',
  }[policyDocument.source];
  setText(meta, `${policyDocument.key} · ${source} · version ${policyDocument.modifyIndex}`);
  if (policyDocument.problems?.length) meta.append(problemList(policyDocument.problems));
}

function showProblems(container, message, details) {
  fill(container, h('p', { className: 'error' }, message), problemList(details));
}

function problemList(details = []) {
  return details.length
    ? h(
        'ul',
        { className: 'problems error' },
        details.map((detail) => h('li', {}, detail)),
      )
    : null;
}

function renderPreview(container, decision) {
  if (decision.unroutable) return fill(container, h('p', { className: 'error' }, decision.unroutable));
  const route = [decision.mode, decision.tier && `tier ${decision.tier}`, decision.rule && `rule ${decision.rule}`];
  fill(
    container,
    h('p', {}, `${decision.requested}: ${route.filter(Boolean).join(', ')} (policy: ${decision.policy.source})`),
    h(
      'table',
      { id: 'preview-candidates' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['#', 'Pool', 'Reason', 'Instances'].map((title) => h('th', {}, title)),
        ),
      ),
      h(
        'tbody',
        {},
        decision.candidates.map((candidate, index) =>
          h(
            'tr',
            { dataset: { pool: candidate.pool } },
            h('td', {}, String(index + 1)),
            h('td', {}, candidate.pool),
            h('td', { className: 'wrap' }, candidate.reason),
            h(
              'td',
              { className: 'wrap' },
              candidate.instances
                .map((instance) => `${instance.name}${instance.draining ? ' (draining)' : ''}`)
                .join(', ') || 'none',
            ),
          ),
        ),
      ),
    ),
    h('h3', {}, 'Why'),
    h(
      'ul',
      { className: 'problems' },
      decision.reasons.map((reason) => h('li', {}, reason)),
    ),
    h('h3', {}, 'What the policy saw in the request'),
    h('pre', {}, JSON.stringify(decision.features, null, 2)),
  );
}

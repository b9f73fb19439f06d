import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CredentialCipher } from '@switchboard/fleet';
import type { AlertBook } from './alert-book.js';
import { AlertNotifier } from './alert-notifier.js';
import type { AlertsRepository, StoredWebhook } from './alerts.repository.js';
import type { WebhookSender } from './webhook-sender.js';

const webhook = { id: 'w1', name: 'ops', kind: 'generic', enabled: true, urlCiphertext: 'https://hooks.example/1' };

test('reading the webhooks is bounded: a Postgres that does not answer leaves the last known in use', async () => {
  let answer: Promise<StoredWebhook[]> = Promise.resolve([webhook as StoredWebhook]);
  const repository = { listWebhooks: () => answer } as unknown as AlertsRepository;
  const cipher = { decrypt: (text: string) => text } as unknown as CredentialCipher;
  const notifier = new AlertNotifier({} as AlertBook, repository, cipher, {} as WebhookSender);

  await notifier.refreshWebhooks(1_000);
  assert.deepEqual(
    notifier.knownWebhooks.map((known) => known.name),
    ['ops'],
  );

  answer = new Promise(() => {});
  const started = Date.now();
  await notifier.refreshWebhooks(50);
  assert.ok(Date.now() - started < 5_000, 'the refresh returned at its limit');
  assert.deepEqual(
    notifier.knownWebhooks.map((known) => known.name),
    ['ops'],
    'the last known webhooks stay',
  );
});

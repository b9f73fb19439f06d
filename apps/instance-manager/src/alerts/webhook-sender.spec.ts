import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { AppConfig } from '@switchboard/kernel';
import { WebhookSender } from './webhook-sender.js';

/** A receiver that refuses every notification, so each attempt fails and is retried. */
let receiver: Server;
let url: string;
let received = 0;

before(async () => {
  receiver = createServer((request, response) => {
    received += 1;
    request.resume();
    request.on('end', () => {
      response.statusCode = 500;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const senderWith = (retryBaseMs: number) =>
  new WebhookSender({
    destinationPolicy: { allowPrivate: true },
    ALERT_WEBHOOK_TIMEOUT_MS: 5_000,
    ALERT_WEBHOOK_MAX_ATTEMPTS: 5,
    ALERT_WEBHOOK_RETRY_BASE_MS: retryBaseMs,
  } as AppConfig);

test('a delivery stopped after its first attempt reports one attempt, not the most allowed', async () => {
  const sender = senderWith(60_000);
  const stop = new AbortController();
  received = 0;
  try {
    // Aborted during the backoff before the second attempt, as a leader stepping down does.
    const outcome = await sender.deliver(url, { hello: 'world' }, stop.signal, {
      onFailedAttempt: () => stop.abort(),
    });
    assert.deepEqual(outcome, { delivered: false, attempts: 1, error: 'the receiver answered HTTP 500 (stopped)' });
    assert.equal(received, 1);
  } finally {
    await sender.onApplicationShutdown();
  }
});

test('a delivery that uses every attempt reports them all', async () => {
  const sender = senderWith(10);
  received = 0;
  try {
    const outcome = await sender.deliver(url, { hello: 'world' }, undefined, { maxAttempts: 3 });
    assert.deepEqual(outcome, { delivered: false, attempts: 3, error: 'the receiver answered HTTP 500' });
    assert.equal(received, 3);
  } finally {
    await sender.onApplicationShutdown();
  }
});

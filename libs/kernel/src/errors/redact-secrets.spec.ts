import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_REASON_LENGTH, redactSecrets } from './redact-secrets.js';

test('credential-shaped values are redacted wherever they stand', () => {
  const cases: [string, string][] = [
    ['Incorrect API key provided: sk-live-SECRET1234.', 'Incorrect API key provided: [redacted].'],
    ['bad key sk-ant-api03-abcdefghijkl', 'bad key [redacted]'],
    ['upstream failed at /v1?token=abc123&x=1', 'upstream failed at /v1?token=[redacted]&x=1'],
    ['{"api_key": "AKIA-123456", "ok": 1}', '{"api_key": "[redacted]", "ok": 1}'],
    ['Authorization: Bearer eyJhbGciOi.payload.sig', 'Authorization: Bearer [redacted]'],
    ['password=hunter22 and secret: s3cr3tvalue', 'password=[redacted] and secret: [redacted]'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
});

test("an instance's own key is redacted even when it has no known shape", () => {
  assert.equal(
    redactSecrets('the key plainkey-9f8e7d was refused by plainkey-9f8e7d', ['plainkey-9f8e7d']),
    'the key [redacted] was refused by [redacted]',
  );
});

test('ordinary text is left alone, and long text is cut to a reason', () => {
  assert.equal(redactSecrets('The model gpt-4o does not exist'), 'The model gpt-4o does not exist');
  const long = redactSecrets('x'.repeat(5_000));
  assert.equal(long.length, MAX_REASON_LENGTH);
  assert.ok(long.endsWith('…'));
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loggedBody, loggedPrompt } from './logged-body.js';

describe('loggedPrompt', () => {
  it('redacts a credential a message quotes as JSON', () => {
    const messages = [{ role: 'user', content: 'my config is {"api_key": "AIzaSyA1b2C3d4E5f6G7h8I9j0"}' }];
    const logged = loggedPrompt(messages, 10_000)!;
    assert.doesNotMatch(logged, /AIza/);
    assert.match(logged, /api_key\\": \\"\[redacted\]/);
    assert.deepEqual(JSON.parse(logged), [{ role: 'user', content: 'my config is {"api_key": "[redacted]"}' }]);
  });

  it('redacts a credential under an object key, and writes the JSON JSON.stringify would', () => {
    const messages = [{ role: 'tool', content: [{ type: 'text', text: 'ok', n: 1, x: null, gone: undefined }] }];
    assert.equal(loggedPrompt(messages, 10_000), JSON.stringify(messages));
    assert.equal(loggedPrompt([{ token: 'tok_live_abcdefgh' }], 10_000), '[{"token":"[redacted]"}]');
  });

  it('redacts a credential cut in two by the limit, and stops serialising past it', () => {
    // '[{"content":"' and 77 characters: the cut at 100 falls three characters into the token.
    const logged = loggedPrompt([{ content: `${'x'.repeat(77)} token=abcdefghijklmnopqrstuvwxyz` }], 100)!;
    assert.equal(logged.length, 100);
    assert.match(logged, /token=\[re$/);
    const huge = Array.from({ length: 10_000 }, () => ({ role: 'user', content: 'y'.repeat(1_000) }));
    assert.equal(loggedPrompt(huge, 2_000)!.length, 2_000);
  });
});

describe('loggedBody', () => {
  it('redacts before it cuts', () => {
    const text = `${'a'.repeat(30)} password=hunter22hunter22`;
    assert.equal(loggedBody(text, 42), `${'a'.repeat(30)} password=[r`, 'not the first characters of the password');
    assert.equal(loggedBody(text, 60), `${'a'.repeat(30)} password=[redacted]`);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConfig } from '@switchboard/kernel';
import { CredentialCipher, maskSecret } from './credential-cipher.js';

const withKey = (key?: string) => new CredentialCipher({ CREDENTIALS_KEY: key } as AppConfig);

describe('CredentialCipher', () => {
  it('round-trips a key, with a fresh IV each time and no plaintext in the stored form', () => {
    const cipher = withKey('0f'.repeat(32));
    const first = cipher.encrypt('sk-secret-value-123');
    const second = cipher.encrypt('sk-secret-value-123');
    assert.match(first, /^v1:[A-Za-z0-9+/=]+$/);
    assert.notEqual(first, second);
    assert.ok(!first.includes('secret'));
    assert.equal(cipher.decrypt(first), 'sk-secret-value-123');
  });

  it('accepts a base64 key as well as hex', () => {
    const cipher = withKey(Buffer.alloc(32, 7).toString('base64'));
    assert.equal(cipher.decrypt(cipher.encrypt('x')), 'x');
  });

  it('refuses tampered ciphertext and a different key, saying what to do', () => {
    const stored = withKey('0f'.repeat(32)).encrypt('sk-secret-value-123');
    assert.throws(() => withKey('1e'.repeat(32)).decrypt(stored), /cannot be decrypted with this CREDENTIALS_KEY/);
    const tampered = `${stored.slice(0, -4)}AAAA`;
    assert.throws(() => withKey('0f'.repeat(32)).decrypt(tampered), /cannot be decrypted/);
    assert.throws(() => withKey().encrypt('x'), /CREDENTIALS_KEY is not configured/);
  });

  it('masks a secret to its last four characters', () => {
    assert.equal(maskSecret('abcd'), '****abcd');
    assert.equal(maskSecret(null), null);
  });
});

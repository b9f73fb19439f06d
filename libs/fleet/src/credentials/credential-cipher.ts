import { Injectable } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** A stored key that this CREDENTIALS_KEY cannot read: stored with another key, or altered. */
export class UndecryptableCredentialError extends Error {
  constructor() {
    super(
      'the stored API key cannot be decrypted with this CREDENTIALS_KEY: it was stored with another one (CREDENTIALS_KEY changed, or the database comes from another checkout)',
    );
    this.name = 'UndecryptableCredentialError';
  }
}

/**
 * Encrypts provider API keys at rest with AES-256-GCM. Stored form: "v1:" + base64(iv | tag |
 * ciphertext); the version prefix leaves room for a later scheme or key rotation.
 */
@Injectable()
export class CredentialCipher {
  private readonly key: Buffer | undefined;

  constructor(config: AppConfig) {
    const raw = config.CREDENTIALS_KEY;
    this.key = raw ? Buffer.from(raw, /^[0-9a-fA-F]{64}$/.test(raw) ? 'hex' : 'base64') : undefined;
  }

  encrypt(plaintext: string): string {
    const key = this.requireKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(stored: string): string {
    const key = this.requireKey();
    const [version, payload] = stored.split(':', 2);
    if (version !== VERSION || !payload) throw new Error(`unknown credential format "${version}"`);
    const bytes = Buffer.from(payload, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new UndecryptableCredentialError();
    }
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error('CREDENTIALS_KEY is not configured: provider keys cannot be encrypted or read');
    return this.key;
  }
}

/** What an operator may see of a secret: its last four characters. */
export function maskSecret(last4: string | null | undefined): string | null {
  return last4 ? `****${last4}` : null;
}

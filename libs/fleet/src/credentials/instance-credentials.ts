import { Injectable } from '@nestjs/common';
import type { ProviderInstance } from '@switchboard/database';
import { AppConfig, readSecretFromEnvironment, describeError } from '@switchboard/kernel';
import type { ProviderTarget } from '@switchboard/providers';
import { CredentialCipher } from './credential-cipher.js';

/** The instance fields its key comes from. */
export type CredentialSource = Pick<ProviderInstance, 'apiKeyCiphertext' | 'apiKeyEnv'>;

/** An instance's key, or why there is none usable (phrased to say what to check). */
export type ResolvedCredential = { apiKey: string; reason?: undefined } | { apiKey?: undefined; reason: string };

/**
 * The one place an instance's provider key is read: decrypted from the database (stored key) or
 * read from the environment variable it names. Never throws; a missing or unreadable key comes
 * back as a reason, for the caller to log or to show as a failed probe.
 */
@Injectable()
export class InstanceCredentials {
  constructor(
    private readonly cipher: CredentialCipher,
    private readonly config: AppConfig,
  ) {}

  resolve(instance: CredentialSource): ResolvedCredential {
    if (instance.apiKeyCiphertext) {
      try {
        return { apiKey: this.cipher.decrypt(instance.apiKeyCiphertext) };
      } catch (error) {
        const message = describeError(error);
        return {
          reason: `${message} (every app reading provider keys needs the CREDENTIALS_KEY the instance-manager stored them with)`,
        };
      }
    }
    if (instance.apiKeyEnv) {
      // Rows stored before the prefix rule (or written around the admin API) must not read any variable.
      const prefix = this.config.INSTANCE_KEY_ENV_PREFIX;
      if (!instance.apiKeyEnv.startsWith(prefix))
        return {
          reason: `apiKeyEnv ${instance.apiKeyEnv} is not read: key variables must start with ${prefix} (INSTANCE_KEY_ENV_PREFIX); rename the variable and update the instance`,
        };
      const apiKey = readSecretFromEnvironment(instance.apiKeyEnv);
      return apiKey
        ? { apiKey }
        : { reason: `environment variable ${instance.apiKeyEnv} is not set in this app's environment` };
    }
    return { reason: 'no API key configured (give the instance an apiKey or apiKeyEnv)' };
  }
}

/** Where and how to call an instance, with its resolved key. */
export function providerTarget(
  instance: Pick<ProviderInstance, 'baseUrl' | 'extraHeaders'>,
  apiKey: string,
): ProviderTarget {
  return { baseUrl: instance.baseUrl, apiKey, headers: (instance.extraHeaders ?? {}) as Record<string, string> };
}

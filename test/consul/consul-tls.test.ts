import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsulClient, ConsulUnavailableError } from '@switchboard/consul';
import { ConsulAgent } from '../support/consul-agent.js';

describe('ConsulClient over HTTPS with a CA file', () => {
  let agent: ConsulAgent;

  before(async () => {
    agent = await ConsulAgent.start({ tls: true });
  });

  after(async () => {
    await agent?.stop();
  });

  it('trusts the agent certificate signed by the configured CA', async () => {
    const consul = new ConsulClient({ address: agent.httpsAddress, caFile: agent.caFile });
    try {
      assert.match(await consul.leader(), /^127\.0\.0\.1:\d+$/);
      assert.equal(await consul.kvPut('switchboard/tls', 'ok'), true);
      assert.equal((await consul.kvGet('switchboard/tls')).body?.Value, 'ok');
    } finally {
      await consul.close();
    }
  });

  it('refuses the agent certificate without the CA', async () => {
    const consul = new ConsulClient({ address: agent.httpsAddress });
    try {
      await assert.rejects(consul.leader(), (error: unknown) => {
        assert.ok(error instanceof ConsulUnavailableError);
        assert.match(error.message, /certificate/i);
        return true;
      });
    } finally {
      await consul.close();
    }
  });
});

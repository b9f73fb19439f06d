import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsulClient, ConsulResponseError } from '@switchboard/consul';
import { ConsulAgent } from '../support/consul-agent.js';

describe('ConsulClient with ACLs enabled (default policy deny)', () => {
  let agent: ConsulAgent;

  before(async () => {
    agent = await ConsulAgent.start({ acl: true });
  });

  after(async () => {
    await agent?.stop();
  });

  it('is refused without a token', async () => {
    const anonymous = new ConsulClient({ address: agent.address });
    try {
      await assert.rejects(anonymous.kvPut('switchboard/acl-test', 'x'), (error: unknown) => {
        assert.ok(error instanceof ConsulResponseError);
        assert.equal(error.status, 403);
        assert.match(error.body, /Permission denied/i);
        return true;
      });
      await assert.rejects(anonymous.registerService({ ID: 'acl-svc', Name: 'acl-svc' }), /403/);
    } finally {
      await anonymous.close();
    }
  });

  it('succeeds with a token sent as X-Consul-Token', async () => {
    const authorised = new ConsulClient({ address: agent.address, token: agent.managementToken });
    try {
      assert.equal(await authorised.kvPut('switchboard/acl-test', 'x'), true);
      assert.equal((await authorised.kvGet('switchboard/acl-test')).body?.Value, 'x');
      await authorised.registerService({ ID: 'acl-svc', Name: 'acl-svc', Port: 1 });
      assert.ok((await authorised.agentServices())['acl-svc']);
    } finally {
      await authorised.close();
    }
  });

  it('a wrong token is refused too', async () => {
    const wrong = new ConsulClient({ address: agent.address, token: '00000000-0000-4000-8000-000000000000' });
    try {
      await assert.rejects(wrong.kvGet('switchboard/acl-test'), /403/);
    } finally {
      await wrong.close();
    }
  });
});

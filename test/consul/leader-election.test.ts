import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsulClient, LeaderElection } from '@switchboard/consul';
import { ConsulAgent } from '../support/consul-agent.js';
import { waitFor } from '../support/wait.js';

describe('LeaderElection against a real Consul agent', () => {
  let agent: ConsulAgent;
  let consul: ConsulClient;

  before(async () => {
    agent = await ConsulAgent.start();
    consul = new ConsulClient({ address: agent.address });
  });

  after(async () => {
    await consul?.close();
    await agent?.stop();
  });

  it('one leader at a time; a leader whose session is destroyed is demoted and does not claim the lock again', async (context) => {
    const events: string[] = [];
    const make = (name: string) =>
      new LeaderElection(consul, 'switchboard/test/leader', {
        holder: name,
        lockDelay: '0s',
        onElected: () => events.push(`${name} elected`),
        onDemoted: () => events.push(`${name} demoted`),
      });
    const first = make('one');
    const second = make('two');
    context.after(() => Promise.all([first.stop(), second.stop()]));
    first.start();
    await waitFor('one to lead', () => first.isLeader, 5_000, 20);
    second.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(second.isLeader, false, 'the lock is held');

    const holderSession = (await consul.kvGet('switchboard/test/leader')).body!.Session!;
    await consul.sessionDestroy(holderSession);
    // The lock is free: either replica may win it, but with a new session, and only one.
    const settle = async () => {
      const key = (await consul.kvGet('switchboard/test/leader')).body;
      const leaders = [first, second].filter((election) => election.isLeader);
      return key?.Session &&
        key.Session !== holderSession &&
        leaders.length === 1 &&
        key.Value === (leaders[0] === first ? 'one' : 'two')
        ? leaders[0]
        : undefined;
    };
    const leader = await waitFor('a new leader with a new session', settle, 5_000, 20);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await settle(), leader, 'still exactly one leader, and it is the holder Consul names');
    assert.ok(events.includes('one demoted'), 'the holder whose session died was demoted');
    const follower = leader === first ? second : first;

    await leader.stop();
    await waitFor('the other to lead after a graceful stop', () => follower.isLeader, 5_000, 20);
    await follower.stop();
    assert.equal((await consul.kvGet('switchboard/test/leader')).body?.Session, undefined);
  });
});

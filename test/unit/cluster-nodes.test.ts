import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONNECTED_WITHIN_MS,
  listNodes,
  NodeHeartbeat,
  requestService,
  sekimoriVersion,
  type NodeStatus,
} from '../../src/cluster/nodes.js';
import type { NodeServiceControl, NodeServiceName } from '../../src/web/services.js';
import { silentLogger } from '../../src/util/log.js';
import { STORE_KINDS } from '../helpers/stores.js';

/** A node's services as plain switches. */
function fakeServices(): NodeServiceControl & { calls: string[] } {
  const states: Record<NodeServiceName, 'running' | 'stopped'> = { smtp: 'running', delivery: 'running' };
  const calls: string[] = [];
  return {
    calls,
    states: () => ({ ...states }),
    start: async (name) => {
      calls.push(`start ${name}`);
      states[name] = 'running';
    },
    stop: async (name) => {
      calls.push(`stop ${name}`);
      states[name] = 'stopped';
    },
  };
}

const status = (services: NodeServiceControl): NodeStatus => ({
  settingsVersion: 3,
  queue: { incoming: 0, active: 1, deferred: 2, hold: 0 },
  smtpConnections: 4,
  services: { ...services.states(), console: 'running' },
  warnings: [],
});

test('the version comes from package.json', () => {
  assert.match(sekimoriVersion(), /^\d+\.\d+\.\d+/);
});

for (const kind of STORE_KINDS) {
  test(`nodes of a group on ${kind.name}: heartbeats, connected state, service requests applied on the next beat`, async () => {
    const t = await kind.open();
    try {
      const servicesB = fakeServices();
      const a = new NodeHeartbeat({
        store: t.store,
        node: 'node-a',
        log: silentLogger(),
        status: () => status(fakeServices()),
      });
      const b = new NodeHeartbeat({
        store: t.store,
        node: 'node-b',
        log: silentLogger(),
        services: servicesB,
        status: () => status(servicesB),
      });
      await a.beat();
      await b.beat();
      const nodes = await listNodes(t.store);
      assert.deepEqual(
        nodes.map((n) => [n.node, n.connected, n.version, n.status.queue.deferred, n.status.services.smtp]),
        [
          ['node-a', true, sekimoriVersion(), 2, 'running'],
          ['node-b', true, sekimoriVersion(), 2, 'running'],
        ],
      );
      const later = await listNodes(t.store, Date.now() + CONNECTED_WITHIN_MS + 1000);
      assert.ok(
        later.every((n) => !n.connected),
        'no heartbeat for 30 s: not connected',
      );

      // node-a's console stops SMTP on node-b; node-b does it on its next heartbeat
      assert.equal(await requestService(t.store, 'node-b', 'smtp', 'stop'), true);
      assert.equal(await requestService(t.store, 'node-b', 'delivery', 'stop'), true);
      assert.equal(await requestService(t.store, 'node-b', 'delivery', 'start'), true, 'replaces the stop');
      assert.equal(await requestService(t.store, 'node-x', 'smtp', 'stop'), false, 'unknown node');
      assert.equal((await listNodes(t.store))[1]?.pendingRequests.length, 2);
      await b.beat();
      assert.deepEqual(servicesB.calls, ['stop smtp', 'start delivery']);
      await b.beat();
      const after = (await listNodes(t.store))[1];
      assert.equal(after?.status.services.smtp, 'stopped');
      assert.deepEqual(after?.pendingRequests, []);
      assert.deepEqual(servicesB.calls, ['stop smtp', 'start delivery'], 'each request is carried out once');
      await a.stop();
      await b.stop();
    } finally {
      await t.cleanup();
    }
  });
}

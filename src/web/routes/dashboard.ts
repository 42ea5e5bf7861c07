// The dashboard: mail statistics per node or for the group over a range, with a regular,
// zero-filled time series for the charts, the queue sizes now and the current throughput.
import { z } from 'zod';
import { ApiError, route, type RouteSpec } from '../route.js';
import type { ConsoleServices } from '../services.js';
import { METRICS, queryStats, rangeWindow, statsNodes, throughput, STATS_RANGES } from '../../log/stats.js';
import { listNodes } from '../../cluster/nodes.js';

const counts = z.object(Object.fromEntries(METRICS.map((m) => [m, z.number()])));

const dashboardResponse = z.object({
  range: z.enum(['1h', '24h', '7d']),
  node: z.string().describe('a node name, or "all" for the group'),
  from: z.number().describe('start of the first bucket (epoch ms)'),
  bucketMs: z.number(),
  totals: counts,
  series: z.array(counts.extend({ at: z.number() })),
  queue: z.record(z.string(), z.number()).describe('messages per queue now'),
  throughput: z.number().describe('messages received per minute over the last 5 minutes'),
  nodes: z.array(z.string()),
});

/** Queue sizes now: this node's live, other nodes' from their last heartbeat (connected ones). */
async function queueSizes(services: ConsoleServices, node: string): Promise<Record<string, number>> {
  if (node === services.node) return services.queue.counts();
  const sum: Record<string, number> = node === 'all' ? { ...services.queue.counts() } : {};
  for (const n of await listNodes(services.store)) {
    if (n.node === services.node || !n.connected || (node !== 'all' && n.node !== node)) continue;
    for (const [q, c] of Object.entries(n.status.queue)) sum[q] = (sum[q] ?? 0) + c;
  }
  return sum;
}

async function knownNodes(services: ConsoleServices): Promise<string[]> {
  const names = new Set([services.node, ...(await statsNodes(services.store))]);
  for (const n of await listNodes(services.store)) names.add(n.node);
  return [...names].sort();
}

export function dashboardRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/dashboard',
      section: 'dashboard',
      access: 'read',
      summary: 'Mail statistics, queue sizes and throughput for one node or the group',
      query: z.object({
        range: z.enum(Object.keys(STATS_RANGES) as ['1h', '24h', '7d']).default('1h'),
        node: z.string().min(1).max(255).default('all'),
      }),
      response: dashboardResponse,
      async handler({ query, services }) {
        const nodes = await knownNodes(services);
        if (query.node !== 'all' && !nodes.includes(query.node))
          throw new ApiError(404, `no node named ${query.node} in this group`);
        const node = query.node === 'all' ? undefined : query.node;
        const window = rangeWindow(query.range);
        const [stats, perMinute, queue] = await Promise.all([
          queryStats(services.store, { ...window, node }),
          throughput(services.store, node),
          queueSizes(services, query.node),
        ]);
        return {
          range: query.range,
          node: query.node,
          from: window.from,
          bucketMs: stats.bucketMs,
          totals: stats.totals,
          series: stats.series,
          queue,
          throughput: perMinute,
          nodes,
        };
      },
    }),
  ];
}

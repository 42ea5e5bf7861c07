// System status: the nodes of the group (connected, version, uptime, services) and the
// components this node depends on; starting and stopping a node's SMTP or delivery service.
import { z } from 'zod';
import { ApiError, route, type RouteSpec } from '../route.js';
import type { ConsoleServices, NodeServiceName } from '../services.js';
import { listNodes, requestService, sekimoriVersion, type ServiceAction } from '../../cluster/nodes.js';
import { probeComponents } from '../../cluster/components.js';

const serviceState = z.enum(['running', 'stopped']);

const nodeSchema = z.object({
  node: z.string(),
  self: z.boolean().describe('the node answering this request'),
  connected: z.boolean(),
  version: z.string(),
  startedAt: z.number(),
  lastSeen: z.number(),
  uptimeMs: z.number(),
  settingsVersion: z.number(),
  queue: z.record(z.string(), z.number()),
  smtpConnections: z.number(),
  services: z.record(z.string(), serviceState),
  pendingRequests: z.array(z.object({ service: z.string(), action: z.string(), at: z.number() })),
  warnings: z.array(z.string()),
});

const componentSchema = z.object({
  name: z.string(),
  configured: z.boolean(),
  reachable: z.boolean().optional(),
  address: z.string().optional(),
  version: z.string().optional().describe('clamd: its VERSION reply, engine/signature version/date'),
  error: z.string().optional(),
});

const statusResponse = z.object({
  node: z.string(),
  nodes: z.array(nodeSchema),
  components: z.object({
    store: z.object({ kind: z.string(), version: z.string().optional(), error: z.string().optional() }),
    virus: z.array(componentSchema),
    spam: z.array(componentSchema),
    redis: componentSchema,
    dns: z.object({ resolvers: z.array(z.string()), system: z.boolean() }),
  }),
  warnings: z.array(z.string()),
});

const startedAt = Date.now();

/** This node as the heartbeat would describe it, but live. */
function selfNode(services: ConsoleServices): z.output<typeof nodeSchema> {
  const status = services.status();
  const now = Date.now();
  return {
    node: services.node,
    self: true,
    connected: true,
    version: sekimoriVersion(),
    startedAt,
    lastSeen: now,
    uptimeMs: now - startedAt,
    settingsVersion: status.settingsVersion,
    queue: status.queue,
    smtpConnections: status.smtp.connections,
    services: { ...services.services.states(), console: 'running' },
    pendingRequests: [],
    warnings: status.warnings,
  };
}

async function groupNodes(services: ConsoleServices): Promise<z.output<typeof nodeSchema>[]> {
  const others = (await listNodes(services.store))
    .filter((n) => n.node !== services.node)
    .map((n) => ({
      node: n.node,
      self: false,
      connected: n.connected,
      version: n.version,
      startedAt: n.startedAt,
      lastSeen: n.lastSeen,
      uptimeMs: n.uptimeMs,
      settingsVersion: n.status.settingsVersion,
      queue: n.status.queue,
      smtpConnections: n.status.smtpConnections,
      services: n.status.services,
      pendingRequests: n.pendingRequests,
      warnings: n.status.warnings,
    }));
  return [selfNode(services), ...others].sort((a, b) => a.node.localeCompare(b.node));
}

function serviceRoute(action: ServiceAction): RouteSpec {
  return route({
    method: 'POST',
    path: `/system/nodes/:node/services/:service/${action}`,
    section: 'system',
    access: 'write',
    summary: `${action === 'start' ? 'Start' : 'Stop'} a service of a node (another node does it on its next heartbeat)`,
    audit: `system.service.${action}`,
    params: z.object({ node: z.string().min(1).max(255), service: z.enum(['smtp', 'delivery']) }),
    response: z.object({
      node: z.string(),
      service: z.string(),
      state: serviceState.optional().describe('the state now, for the node answering'),
      pending: z.boolean().describe('true when another node will apply it on its next heartbeat'),
    }),
    async handler({ params, services }) {
      const service: NodeServiceName = params.service;
      if (params.node === services.node) {
        await (action === 'start' ? services.services.start(service) : services.services.stop(service));
        return { node: params.node, service, state: services.services.states()[service], pending: false };
      }
      if (!(await requestService(services.store, params.node, service, action)))
        throw new ApiError(404, `no node named ${params.node} in this group`);
      return { node: params.node, service, pending: true };
    },
  });
}

export function systemRoutes(): RouteSpec[] {
  return [
    route({
      method: 'GET',
      path: '/system/status',
      section: 'system',
      access: 'read',
      summary: 'Nodes of the group with their services, and the components this node uses',
      response: statusResponse,
      async handler({ services }) {
        const [nodes, components] = await Promise.all([
          groupNodes(services),
          probeComponents(services.store, services.settings.current()),
        ]);
        return { node: services.node, nodes, components, warnings: services.status().warnings };
      },
    }),
    serviceRoute('start'),
    serviceRoute('stop'),
  ];
}

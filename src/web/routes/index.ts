// Every /api/v1 route of the console, in one table: the server registers it, the OpenAPI
// document describes it and the route-table test walks it.
import type { RouteSpec } from '../route.js';
import { authRoutes } from './auth.js';
import { accountRoutes } from './accounts.js';
import { auditRoutes } from './audit.js';
import { dashboardRoutes } from './dashboard.js';
import { systemRoutes } from './system.js';
import { mailSettingsRoutes } from './mail-settings.js';
import { wizardRoutes } from './wizard.js';
import { settingsIoRoutes } from './settings-io.js';
import { policyRoutes } from './policy.js';
import { queueRoutes } from './queue.js';
import { trackingRoutes } from './tracking.js';
import { quarantineRoutes } from './quarantine.js';

export function allRoutes(): RouteSpec[] {
  return [
    ...authRoutes(),
    ...accountRoutes(),
    ...auditRoutes(),
    ...dashboardRoutes(),
    ...systemRoutes(),
    ...mailSettingsRoutes(),
    ...wizardRoutes(),
    ...settingsIoRoutes(),
    ...policyRoutes(),
    ...queueRoutes(),
    ...trackingRoutes(),
    ...quarantineRoutes(),
  ];
}

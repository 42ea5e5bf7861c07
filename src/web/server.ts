// The administration console: Fastify over HTTPS serving the REST API (/api/v1) and the
// browser UI, with strict security headers.
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import type { AddressInfo } from 'node:net';
import type { TlsMaterial } from '../config/tls.js';
import type { ConsoleServices } from './services.js';
import type { RouteSpec } from './route.js';
import { allRoutes } from './routes/index.js';
import { ConsoleAuth } from './console-auth.js';
import { errorAnswer, registerApi } from './api.js';
import { registerUi } from './static-ui.js';

/** Raw request bodies: a message to test the policy with, a YAML settings file. */
const RAW_TYPES = ['message/rfc822', 'application/octet-stream'];
const TEXT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

export interface ConsoleServerOptions {
  services: ConsoleServices;
  tls: TlsMaterial;
  routes?: RouteSpec[];
  uiDir?: string;
}

export async function buildConsoleApp(
  o: ConsoleServerOptions,
): Promise<{ app: FastifyInstance; auth: ConsoleAuth }> {
  const { services } = o;
  const auth = new ConsoleAuth(
    services.store,
    () => services.settings.current().console,
    services.log,
    services.dataDir,
  );
  const app = Fastify({
    https: { key: o.tls.key, cert: o.tls.cert },
    logger: false,
    trustProxy: false,
    // error answers are ours: JSON {error, details?}
    return503OnClosing: true,
  });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(fastifyCookie);
  app.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = errorAnswer(err);
    if (status >= 500)
      services.log.error({ err, method: req.method, url: req.url.split('?')[0] }, 'console request failed');
    return reply.code(status).send(body);
  });
  registerApi(app, o.routes ?? allRoutes(), { services, auth });
  await registerUi(app, o.uiDir);
  return { app, auth };
}

export interface RunningConsole {
  /** https://host:port */
  url: string;
  close(): Promise<void>;
}

/** Expired sessions are removed from the store this often (they are refused at once anyway). */
const SESSION_PURGE_INTERVAL_MS = 10 * 60_000;

export async function startConsoleServer(
  o: ConsoleServerOptions & { listen: { host: string; port: number } },
): Promise<RunningConsole> {
  const { app, auth } = await buildConsoleApp(o);
  await auth.prepareSetup();
  await app.listen({ host: o.listen.host, port: o.listen.port });
  const a = app.server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  const purge = setInterval(() => {
    auth
      .purgeExpiredSessions()
      .catch((err: unknown) => o.services.log.warn({ err }, 'console session purge failed'));
  }, SESSION_PURGE_INTERVAL_MS);
  purge.unref();
  return {
    url: `https://${host}:${a.port}`,
    close: async () => {
      clearInterval(purge);
      await app.close();
    },
  };
}

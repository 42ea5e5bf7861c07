// The browser UI: the files Vite built into dist/ui, with index.html for every other GET
// outside /api so the UI's own routes survive a reload.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { API_PREFIX } from './api.js';

/** dist/ui, next to the compiled dist/src. */
export const DEFAULT_UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sekimori</title></head>
<body><h1>Sekimori console</h1>
<p>The console's user interface was not built (run <code>npm run build</code>). The REST API is available under ${API_PREFIX}; its description is at <a href="${API_PREFIX}/openapi.json">${API_PREFIX}/openapi.json</a>.</p>
</body></html>
`;

export async function registerUi(app: FastifyInstance, uiDir = DEFAULT_UI_DIR): Promise<void> {
  const built = existsSync(join(uiDir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: uiDir, prefix: '/', index: 'index.html' });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || path.startsWith('/api/'))
      return reply.code(404).send({ error: `no such route: ${req.method} ${path}` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply.code(404).send({ error: 'not found' });
    // a missing file with an extension is a 404, not the UI page
    if (/\.[a-z0-9]+$/i.test(path) && path !== '/index.html')
      return reply.code(404).type('text/plain').send('not found');
    if (built) return reply.type('text/html').sendFile('index.html');
    return reply.type('text/html').send(NOT_BUILT_PAGE);
  });
}

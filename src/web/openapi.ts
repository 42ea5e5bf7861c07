// The OpenAPI 3.1 description of /api/v1, generated from the route table so it always lists
// every route with the schemas the server validates against.
import { z } from 'zod';
import type { RouteSpec } from './route.js';
import { API_PREFIX } from './api.js';
import { SESSION_COOKIE } from './console-auth.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
    }) as JsonSchema;
    return rest;
  } catch {
    return {}; // a schema JSON Schema cannot express is documented as "anything"
  }
}

/** Path and query parameters from an object schema. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input');
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    schema: p,
  }));
}

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function openApiDocument(routes: RouteSpec[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const errors = {
      400: { $ref: '#/components/responses/Error' },
      ...(r.section === 'public'
        ? {}
        : { 401: { $ref: '#/components/responses/Error' }, 403: { $ref: '#/components/responses/Error' } }),
    };
    const op: JsonSchema = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${openApiPath(r.path).replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      tags: [r.section],
      'x-sekimori-access': r.access,
      ...(r.audit ? { 'x-sekimori-audit': r.audit } : {}),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: jsonSchema(r.body, 'input') },
                ...Object.fromEntries(
                  (r.rawBodyTypes ?? []).map((t) => [t, { schema: { type: 'string', format: 'binary' } }]),
                ),
              },
            },
          }
        : {}),
      responses: {
        200: {
          description: 'success',
          ...(r.response
            ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }
            : {}),
        },
        ...errors,
      },
      security: r.section === 'public' ? [] : [{ session: [], csrf: [] }, { bearer: [] }],
    };
    (paths[`${API_PREFIX}${openApiPath(r.path)}`] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sekimori console API',
      version,
      description:
        'Every route needs a logged-on session (cookie, plus the X-CSRF-Token header on calls that change something) or an API token (Authorization: Bearer skm_…), except those marked public. Roles grant read or write per section (the tag).',
    },
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (skm_…)' },
      },
      responses: {
        Error: {
          description: 'an error',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { error: { type: 'string' }, details: {} },
                required: ['error'],
              },
            },
          },
        },
      },
    },
  };
}

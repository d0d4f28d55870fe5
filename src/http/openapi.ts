// The OpenAPI 3.1 document of /api/v1, generated from the route table's zod schemas (served at /api/v1/openapi.json, committed as docs/openapi.json).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compareStrings } from '../core/compare-strings.js';
import { packagePath } from '../package-root.js';
import {
  API_PREFIX,
  API_ROUTES,
  PROBLEM_STATUSES,
  type ApiRoute,
  type ApiTag,
  type ProblemStatus,
} from './api-route-table.js';
import { fanOutSchema, problemSchema } from './api-schemas.js';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const TAGS: Record<ApiTag, string> = {
  fleet: 'Instances and their findings as the last scans saw them, and one view across every shard.',
  scans: 'Scan history, and asking for a scan.',
  manifests: 'What each image should look like: import and revoke.',
  fingerprints: 'Host fingerprints pushed by `driftwarden agent`.',
  acceptances: 'Expiring, revocable exceptions for known drift.',
  replacements: 'Replacement jobs: list, approve, cancel.',
  remediation: 'The remediation switch, why instances wait, and the audit log.',
  meta: 'This document.',
};

/** JSON Schemas of zod schemas, with the named ones (`.meta({id})`, api-schemas.ts) gathered as components and referenced. */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};

  /**
   * The JSON Schema of `schema` as a request (`input`: before transforms and defaults) or an answer
   * (`output`) sees it. Unrepresentable types throw, so nothing is silently documented as "anything".
   */
  of(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12' });
    const { $schema: _dialect, $defs, ...rest } = toComponentRefs(json);
    for (const [id, definition] of Object.entries(
      z.record(z.string(), z.record(z.string(), z.unknown())).parse($defs ?? {}),
    )) {
      const known = this.components[id];
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(definition))
        throw new Error(`schema ${id} differs between operations (as ${io})`);
      this.components[id] = definition;
    }
    return rest;
  }
}

/** zod puts named schemas under `$defs`; the document keeps them once, under components/schemas. */
function toComponentRefs(value: JsonSchema): JsonSchema {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, child]) => [
        key,
        key === '$ref' && typeof child === 'string'
          ? child.replace(/^#\/\$defs\//, '#/components/schemas/')
          : rewrite(child),
      ]),
    );
  };
  return z.record(z.string(), z.unknown()).parse(rewrite(value));
}

/** `/instances/:id` → `/api/v1/instances/{id}`. */
export function openApiPath(expressPath: string): string {
  return API_PREFIX + expressPath.replace(/:(\w+)/g, '{$1}');
}

/** Each property of an object schema as one parameter; a property that accepts nothing (`offset`) is left out. */
function parameters(
  schemas: SchemaCollector,
  schema: z.ZodObject,
  where: 'path' | 'query',
): Record<string, unknown>[] {
  const json = schemas.of(schema, 'input');
  const properties = z.record(z.string(), z.record(z.string(), z.unknown())).parse(json.properties ?? {});
  const required = new Set(z.array(z.string()).parse(json.required ?? []));
  return Object.entries(properties)
    .filter(([, property]) => !('not' in property))
    .map(([name, { description, ...property }]) => ({
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: property,
    }));
}

function pathNames(expressPath: string): string[] {
  return [...expressPath.matchAll(/:(\w+)/g)].map((m) => String(m[1]));
}

function operation(schemas: SchemaCollector, route: ApiRoute): Record<string, unknown> {
  const names = pathNames(route.path);
  const declared = route.params ? Object.keys(route.params.shape) : [];
  if (names.join() !== declared.join())
    throw new Error(
      `route ${route.method.toUpperCase()} ${route.path}: path parameters [${names.join(', ')}] but params schema [${declared.join(', ')}]`,
    );
  const responses: Record<string, unknown> = {};
  for (const [status, { description, schema }] of Object.entries(route.responses)) {
    responses[status] = {
      description,
      content: { 'application/json': { schema: schemas.of(schema, 'output') } },
    };
  }
  if (route.sharedInput) {
    const [success] = Object.values(route.responses);
    if (success)
      responses['207'] = {
        description:
          "Sharded: the write succeeded here but not on every shard; `result` is this replica's answer.",
        content: {
          'application/json': { schema: schemas.of(fanOutSchema(success.schema), 'output') },
        },
      };
  }
  const problem = schemas.of(problemSchema, 'output');
  const errors: ProblemStatus[] = [...new Set<ProblemStatus>([...route.errors, 500])].sort((a, b) => a - b);
  for (const status of errors) {
    responses[String(status)] = {
      description: PROBLEM_STATUSES[status],
      content: { 'application/problem+json': { schema: problem } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: route.scope === null ? [] : [{ bearer: [route.scope] }],
    ...(route.scope === null
      ? {}
      : { description: `Needs a bearer token with scope \`${route.scope}\` (or \`admin\`).` }),
    parameters: [
      ...(route.params ? parameters(schemas, route.params, 'path') : []),
      ...(route.query ? parameters(schemas, route.query, 'query') : []),
    ],
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required,
            content: { 'application/json': { schema: schemas.of(route.body.schema, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

function packageVersion(): string {
  const parsed = z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(packagePath('package.json'), 'utf8')));
  return parsed.version;
}

/** The document for `routes` (every route by default); paths in table order, methods get before post. */
export function openApiDocument(routes: readonly ApiRoute[] = API_ROUTES): OpenApiDocument {
  const schemas = new SchemaCollector();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    const item = (paths[path] ??= {});
    if (item[route.method] !== undefined)
      throw new Error(`route ${route.method.toUpperCase()} ${path} is listed twice`);
    item[route.method] = operation(schemas, route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'driftwarden',
      version: packageVersion(),
      description:
        'Configuration-drift detection and safe replacement for immutable EC2 fleets. Reads need no token; writes need a bearer token with a scope. Lists page with an opaque `cursor`. Errors are RFC 9457 problem documents. Reference: docs/api.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'the daemon that serves this document' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(schemas.components).sort(([a], [b]) => compareStrings(a, b)),
      ),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'One of `auth.tokens`; the operation names the scope it needs (`admin` implies every scope).',
        },
      },
    },
  };
}

/** The document as committed and served: two-space JSON with a final newline. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

// The OpenAPI document: the committed copy is the generator's output, it lints clean, and a route without schemas cannot be documented.
import { readFileSync } from 'node:fs';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_ROUTES, type ApiRoute } from '../../src/http/api-route-table.js';
import { openApiDocument, openApiText } from '../../src/http/openapi.js';
import { packagePath } from '../../src/package-root.js';

describe('docs/openapi.json', () => {
  it('is exactly what the generator produces (regenerate with `npm run openapi`)', () => {
    const committed = readFileSync(packagePath('docs/openapi.json'), 'utf8');
    expect(committed, 'docs/openapi.json is out of date: run `npm run openapi` and commit it').toBe(
      openApiText(),
    );
  });

  it("has no error and no warning under Redocly's recommended rules", async () => {
    const config = await createConfig({
      extends: ['recommended'],
      rules: {
        // GET /remediation and GET /openapi.json take no input and name no resource: no client error
        // exists for them to document. Every other operation lists its 4xx answers.
        'operation-4xx-response': 'off',
      },
    });
    const problems = await lintFromString({ source: openApiText(), absoluteRef: 'openapi.json', config });
    expect(
      problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`),
    ).toEqual([]);
  });
});

describe('openApiDocument', () => {
  const route: ApiRoute = {
    method: 'get',
    path: '/widgets/:id',
    operationId: 'getWidget',
    summary: 'A widget',
    tag: 'meta',
    scope: null,
    responses: { 200: { description: 'The widget.', schema: z.strictObject({ id: z.string() }) } },
    errors: [404],
  };

  it('documents every route of the table, once, under /api/v1', () => {
    const document = openApiDocument();
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      API_ROUTES.map((r) => `${r.method.toUpperCase()} /api/v1${r.path.replace(/:(\w+)/g, '{$1}')}`).sort(),
    );
  });

  it('refuses a route whose path parameters have no schema', () => {
    expect(() => openApiDocument([route])).toThrow(
      'route GET /widgets/:id: path parameters [id] but params schema []',
    );
  });

  it('refuses a route listed twice', () => {
    const params = z.strictObject({ id: z.string() });
    expect(() =>
      openApiDocument([
        { ...route, params },
        { ...route, params },
      ]),
    ).toThrow('route GET /api/v1/widgets/{id} is listed twice');
  });

  it('refuses a schema zod cannot express as JSON Schema, rather than documenting "anything"', () => {
    const params = z.strictObject({ id: z.string() });
    const responses = { 200: { description: 'A date.', schema: z.strictObject({ at: z.date() }) } };
    expect(() => openApiDocument([{ ...route, params, responses }])).toThrow(/Date cannot be represented/);
  });
});

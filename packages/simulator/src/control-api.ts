// The simulator's JSON control API under /_sim/: inspect the fleet, inject drift, faults and launches.
import type { z } from 'zod';
import type { AccountRegistry } from './accounts.js';
import {
  addImageSchema,
  bulkLaunchSchema,
  configSpecSchema,
  driftChangeSchema,
  failureSpecSchema,
  faultSpecSchema,
  launchSpecSchema,
  lifecycleSpecSchema,
  roleSpecSchema,
} from './control-schemas.js';
import type { FaultRegistry } from './faults.js';
import type { SimWorld } from './sim-world.js';
import { describeGroup, describeInstance, summarizeFleet } from './world-views.js';
import type { RequestLog } from './request-log.js';
import { SimulatorInputError, UnknownResourceError } from './sim-errors.js';

export interface ControlApiDeps {
  /** The default account's fleet; routes act on another account's with `?account=`. */
  fleet: SimWorld;
  accounts: AccountRegistry;
  faults: FaultRegistry;
  log: RequestLog;
}

export interface ControlRequest {
  method: string;
  /** Path segments after `/_sim/`, already URL-decoded. */
  segments: string[];
  query: URLSearchParams;
  /** Raw body text ('' when none). */
  body: string;
}

export interface ControlReply {
  status: number;
  json: unknown;
}

type Route = {
  method: string;
  /** Segments to match; ':id' captures one segment. */
  path: string[];
  handle: (deps: ControlApiDeps, request: ControlRequest, id: string) => ControlReply;
};

const ok = (json: unknown, status = 200): ControlReply => ({ status, json });

/** Parses the JSON body with a schema; a failure names the first offending field. */
function parseBody<T>(schema: z.ZodType<T>, request: ControlRequest): T {
  let data: unknown;
  try {
    data = request.body.trim() === '' ? {} : JSON.parse(request.body);
  } catch {
    throw new SimulatorInputError('body', 'invalid JSON');
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  throw new SimulatorInputError(field, issue?.message ?? 'invalid');
}

function sinceParam(query: URLSearchParams): number {
  const raw = query.get('since');
  if (raw === null || raw === '') return 0;
  const since = Number(raw);
  if (!Number.isInteger(since) || since < 0)
    throw new SimulatorInputError('since', 'must be a non-negative integer');
  return since;
}

const ROUTES: Route[] = [
  {
    method: 'GET',
    path: ['health'],
    handle: ({ fleet }) =>
      ok({ status: 'ok', images: fleet.images.length, instances: fleet.allInstances().length }),
  },
  { method: 'GET', path: ['fleet'], handle: ({ fleet }) => ok(summarizeFleet(fleet)) },
  { method: 'GET', path: ['images'], handle: ({ fleet }) => ok(fleet.images) },
  {
    method: 'POST',
    path: ['instances', 'bulk'],
    handle: ({ fleet }, req) => {
      const launched = fleet.launchBulk(parseBody(bulkLaunchSchema, req));
      return ok({ count: launched.length, instanceIds: launched.map((i) => i.instanceId) }, 201);
    },
  },
  {
    method: 'POST',
    path: ['instances'],
    handle: ({ fleet }, req) =>
      ok(describeInstance(fleet, fleet.launch(parseBody(launchSpecSchema, req))), 201),
  },
  {
    method: 'GET',
    path: ['instances', ':id'],
    handle: ({ fleet }, _req, id) => ok(describeInstance(fleet, fleet.requireInstance(id))),
  },
  {
    method: 'DELETE',
    path: ['instances', ':id'],
    handle: ({ fleet }, _req, id) => ok(describeInstance(fleet, fleet.terminate(id))),
  },
  {
    method: 'POST',
    path: ['instances', ':id', 'drift'],
    handle: ({ fleet }, req, id) => {
      fleet.requireInstance(id);
      return ok(describeInstance(fleet, fleet.drift(id, parseBody(driftChangeSchema, req))));
    },
  },
  {
    method: 'POST',
    path: ['instances', ':id', 'reset'],
    handle: ({ fleet }, _req, id) => ok(describeInstance(fleet, fleet.reset(id))),
  },
  {
    method: 'POST',
    path: ['images'],
    handle: ({ fleet }, req) => ok(fleet.addImage(parseBody(addImageSchema, req)), 201),
  },
  { method: 'GET', path: ['faults'], handle: ({ faults }) => ok({ faults: faults.list() }) },
  {
    method: 'POST',
    path: ['faults'],
    handle: ({ faults }, req) => ok(faults.add(parseBody(faultSpecSchema, req)), 201),
  },
  {
    method: 'DELETE',
    path: ['faults'],
    handle: ({ faults }) => {
      const cleared = faults.list().length;
      faults.clear();
      return ok({ cleared });
    },
  },
  {
    method: 'DELETE',
    path: ['faults', ':id'],
    handle: ({ faults }, _req, id) => {
      if (!faults.remove(id)) throw new UnknownResourceError('fault', id);
      return ok({ removed: id });
    },
  },
  { method: 'GET', path: ['roles'], handle: ({ accounts }) => ok({ roles: accounts.roles() }) },
  {
    method: 'POST',
    path: ['roles'],
    handle: ({ accounts }, req) => ok(accounts.putRole(parseBody(roleSpecSchema, req)), 201),
  },
  {
    method: 'GET',
    path: ['accounts'],
    handle: ({ accounts }) =>
      ok({
        defaultAccount: accounts.defaultAccount,
        accounts: accounts.fleets().map((fleet) => ({
          account: fleet.account,
          instances: fleet.allInstances().length,
          roles: accounts
            .roles()
            .filter((role) => role.account === fleet.account)
            .map((role) => role.roleArn),
        })),
      }),
  },
  {
    method: 'GET',
    path: ['requests'],
    handle: ({ log }, req) => ok({ requests: log.entries(sinceParam(req.query)) }),
  },
  {
    method: 'DELETE',
    path: ['requests'],
    handle: ({ log }) => {
      log.clear();
      return ok({ cleared: true });
    },
  },
];

/** A group by name; `?region=` picks one when two regions use the same name. */
function findGroup(fleet: SimWorld, name: string, query: URLSearchParams) {
  const group = fleet.group(name, query.get('region') ?? undefined);
  if (!group) throw new UnknownResourceError('group', name);
  return group;
}

const FLEET_ROUTES: Route[] = [
  {
    method: 'GET',
    path: ['groups'],
    handle: ({ fleet }, req) =>
      ok({ groups: fleet.groups(req.query.get('region') ?? undefined).map((g) => describeGroup(fleet, g)) }),
  },
  {
    method: 'GET',
    path: ['groups', ':id'],
    handle: ({ fleet }, req, name) => ok(describeGroup(fleet, findGroup(fleet, name, req.query))),
  },
  { method: 'GET', path: ['failures'], handle: ({ fleet }) => ok(fleet.failures.state()) },
  {
    method: 'POST',
    path: ['failures'],
    handle: ({ fleet }, req) => ok(fleet.injectFailure(parseBody(failureSpecSchema, req)), 201),
  },
  {
    method: 'DELETE',
    path: ['failures'],
    handle: ({ fleet }) => {
      fleet.clearFailures();
      return ok(fleet.failures.state());
    },
  },
  {
    method: 'POST',
    path: ['config'],
    handle: ({ fleet }, req) => {
      const spec = parseBody(configSpecSchema, req);
      return ok({ unprocessedKeys: fleet.inventory.leaveUnprocessed(spec.unprocessedKeys) });
    },
  },
  {
    method: 'DELETE',
    path: ['config', 'inventory', ':id'],
    handle: ({ accounts }, _req, id) => {
      const fleet = accounts.fleetOfInstance(id);
      if (!fleet) return ok({ error: `no instance ${id}` }, 404);
      return ok({ deleted: fleet.inventory.deregister(id) });
    },
  },
  { method: 'GET', path: ['lifecycle'], handle: ({ fleet }) => ok(fleet.lifecycle.settings) },
  {
    method: 'POST',
    path: ['lifecycle'],
    handle: ({ fleet }, req) => ok(fleet.configureLifecycle(parseBody(lifecycleSpecSchema, req))),
  },
];

function matchRoute(route: Route, segments: string[]): string | null {
  if (route.path.length !== segments.length) return null;
  let id = '';
  for (let i = 0; i < segments.length; i++) {
    const expected = route.path[i];
    const actual = segments[i] ?? '';
    if (expected === ':id') id = actual;
    else if (expected !== actual) return null;
  }
  return id;
}

/** `?account=` picks that account's fleet; an instance id finds its owner's; else the default account's. */
function fleetFor(deps: ControlApiDeps, request: ControlRequest, route: Route, id: string): SimWorld {
  const account = request.query.get('account');
  if (account !== null && account !== '') return deps.accounts.fleet(account);
  if (route.path[0] === 'instances' && route.path[1] === ':id')
    return deps.accounts.fleetOfInstance(id) ?? deps.fleet;
  return deps.fleet;
}

export function handleControlRequest(deps: ControlApiDeps, request: ControlRequest): ControlReply {
  // Reads and writes alike see the fleet as of now (pending → running, groups reconciled).
  deps.fleet.advance();
  const candidates = [...ROUTES, ...FLEET_ROUTES]
    .map((route) => ({ route, id: matchRoute(route, request.segments) }))
    .filter((c) => c.id !== null);
  if (candidates.length === 0)
    return { status: 404, json: { error: `no control route /_sim/${request.segments.join('/')}` } };
  const match = candidates.find((c) => c.route.method === request.method);
  if (!match)
    return {
      status: 405,
      json: {
        error: `method ${request.method} not allowed; use ${candidates.map((c) => c.route.method).join(', ')}`,
      },
    };
  try {
    const fleet = fleetFor(deps, request, match.route, match.id ?? '');
    return match.route.handle(fleet === deps.fleet ? deps : { ...deps, fleet }, request, match.id ?? '');
  } catch (error) {
    if (error instanceof SimulatorInputError)
      return { status: 400, json: { error: error.message, field: error.field } };
    if (error instanceof UnknownResourceError) return { status: 404, json: { error: error.message } };
    throw error;
  }
}

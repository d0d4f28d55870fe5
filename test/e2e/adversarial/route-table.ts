// Every route of the daemon's express app, found by walking its router stack (mounted routers included).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/store/index.js';
import { storeApp } from '../../support/store-server.js';

export interface RouteEntry {
  /** Upper-case HTTP method. */
  method: string;
  /** Express path pattern, e.g. `/api/v1/instances/:instanceId`. */
  path: string;
}

function routesOf(stack: readonly unknown[], prefix: string): RouteEntry[] {
  const found: RouteEntry[] = [];
  for (const layer of stack) {
    if (typeof layer !== 'object' || layer === null) continue;
    if ('route' in layer && typeof layer.route === 'object' && layer.route !== null) {
      const route = layer.route;
      if (!('path' in route) || typeof route.path !== 'string') continue;
      if (!('methods' in route) || typeof route.methods !== 'object' || route.methods === null) continue;
      for (const [method, on] of Object.entries(route.methods))
        if (on === true && method !== '_all')
          found.push({ method: method.toUpperCase(), path: prefix + route.path });
      continue;
    }
    // A mounted router (`app.use('/api/v1', router)`): its own stack, under the mount path.
    const handle: unknown = 'handle' in layer ? layer.handle : undefined;
    if (typeof handle !== 'function' || !('stack' in handle) || !Array.isArray(handle.stack)) continue;
    const mount =
      'rawPath' in layer && typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    found.push(...routesOf(handle.stack, prefix + mount));
  }
  return found;
}

/** The routes the daemon serves, from an app built over a scratch database. */
export function routeTable(): RouteEntry[] {
  const dir = mkdtempSync(join(tmpdir(), 'dw-routes-'));
  const store = openStore(join(dir, 'driftwarden.db'), { now: () => new Date() });
  try {
    const app = storeApp(store, () => new Date());
    return routesOf(app.router.stack, '');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

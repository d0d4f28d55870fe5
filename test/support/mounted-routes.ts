// The (method, path) pairs an express app has mounted, read from its router stack, so a test can compare them with a route table.
import type { Express } from 'express';

interface LayerLike {
  rawPath?: unknown;
  route?: { path?: unknown; methods?: Record<string, boolean> };
  handle?: { stack?: unknown };
}

function isLayerList(value: unknown): value is LayerLike[] {
  return Array.isArray(value) && value.every((l) => typeof l === 'object' && l !== null);
}

function collect(stack: LayerLike[], prefix: string, into: string[]): void {
  for (const layer of stack) {
    if (layer.route && typeof layer.route.path === 'string') {
      for (const [method, on] of Object.entries(layer.route.methods ?? {}))
        if (on) into.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
    } else if (isLayerList(layer.handle?.stack)) {
      // A mounted router: express 5 keeps the mount path as the layer's rawPath.
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      collect(layer.handle.stack, prefix + mount, into);
    }
  }
}

/** `METHOD /full/path` of every route handler the app has, sorted; express path syntax (`:id`). */
export function mountedRoutes(app: Express): string[] {
  // Read structurally: @types/express describes express 4's layers (no rawPath, no route.methods).
  const stack: unknown = app.router.stack;
  if (!isLayerList(stack))
    throw new Error('this express app has no router stack to read (express 5 expected)');
  const routes: string[] = [];
  collect(stack, '', routes);
  return routes.sort();
}

// Renders a kustomization the way `kubectl kustomize` does, for the subset deploy/kubernetes uses (no kubectl here).
//
// Supported: `resources` (files and directories holding a kustomization), `patches` with `path`
// (strategic merge: maps merge, lists of objects with a `name` merge by it, other lists and
// scalars are replaced), `namespace` and `images` (`name` with `newName`/`newTag`). Any other key
// is an error, so a kustomization that outgrows this renderer fails its test instead of being
// checked wrongly.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  patches?: { path: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

const KNOWN_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches', 'images']);
/** Kinds without a namespace, which `namespace:` leaves alone. */
const CLUSTER_KINDS = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function documents(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d): unknown => d.toJS() as unknown)
    .filter((o): o is KubeObject => isMap(o) && typeof o.kind === 'string');
}

/** The objects `kubectl kustomize dir` would print, in resource order. */
export function renderKustomization(dir: string): KubeObject[] {
  const file = join(dir, 'kustomization.yaml');
  const raw: unknown = parse(readFileSync(file, 'utf8'));
  if (!isMap(raw)) throw new Error(`${file}: not a map`);
  const unknown = Object.keys(raw).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0)
    throw new Error(`${file}: keys this renderer does not support: ${unknown.join(', ')}`);
  const k = raw as Kustomization;

  const objects = (k.resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    return statSync(path).isDirectory() ? renderKustomization(path) : documents(path);
  });
  for (const { path } of k.patches ?? []) {
    for (const patch of documents(join(dir, path))) {
      const target = objects.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (!target) throw new Error(`${join(dir, path)}: no ${patch.kind} ${patch.metadata.name} to patch`);
      objects[objects.indexOf(target)] = mergePatch(target, patch) as KubeObject;
    }
  }
  for (const object of objects) {
    if (k.namespace !== undefined && !CLUSTER_KINDS.has(object.kind)) object.metadata.namespace = k.namespace;
    for (const image of k.images ?? []) setImage(object, image);
  }
  return objects;
}

/** Strategic merge of `patch` into `base` (a new value; neither is changed). */
function mergePatch(base: unknown, patch: unknown): unknown {
  if (isMap(base) && isMap(patch)) {
    const merged: Json = { ...base };
    for (const [key, value] of Object.entries(patch)) merged[key] = mergePatch(base[key], value);
    return merged;
  }
  const named = Array.isArray(patch) ? patch.filter(isMap).filter((p) => 'name' in p) : [];
  if (Array.isArray(base) && Array.isArray(patch) && named.length === patch.length) {
    const merged: unknown[] = [...(base as unknown[])];
    for (const item of named) {
      const at = merged.findIndex((b) => isMap(b) && b.name === item.name);
      if (at === -1) merged.push(item);
      else merged[at] = mergePatch(merged[at], item);
    }
    return merged;
  }
  return patch;
}

function setImage(value: unknown, image: NonNullable<Kustomization['images']>[number]): void {
  if (Array.isArray(value)) for (const item of value) setImage(item, image);
  if (!isMap(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'image' && typeof child === 'string' && child.split(':')[0] === image.name) {
      const [name, tag] = child.split(':');
      value[key] = `${image.newName ?? name}:${image.newTag ?? tag}`;
    } else setImage(child, image);
  }
}

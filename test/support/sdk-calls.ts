// The AWS actions a source tree sends, read from its imports of `@aws-sdk/client-*`: shared by the IAM policy and metrics tests.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** SDK client package → IAM service prefix. An unknown package fails the scan (add it here and to the policies). */
export const SERVICE_PREFIX: Record<string, string> = {
  'client-auto-scaling': 'autoscaling',
  'client-config-service': 'config',
  'client-ec2': 'ec2',
  'client-sts': 'sts',
};

export interface SdkCall {
  action: string;
  file: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * Every AWS action a source tree sends: `new XCommand(` and `paginateX` resolved through the file's
 * imports from `@aws-sdk/client-*`.
 */
export function findSdkCalls(root: string, dir: string): SdkCall[] {
  const calls: SdkCall[] = [];
  for (const path of sourceFiles(join(root, dir))) {
    const file = relative(root, path).split(sep).join('/');
    const text = readFileSync(path, 'utf8');
    const imported = new Map<string, string>(); // local name → IAM action
    for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]@aws-sdk\/([\w-]+)['"]/g)) {
      if (m[1]) continue; // `import type { … }`
      const pkg = m[3] as string;
      const names = (m[2] as string)
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '));
      for (const name of names) {
        const [original, local = original] = name.split(/\s+as\s+/) as [string, string?];
        const operation = /^(\w+)Command$/.exec(original)?.[1] ?? /^paginate(\w+)$/.exec(original)?.[1];
        if (operation === undefined) continue;
        const prefix = SERVICE_PREFIX[pkg];
        if (prefix === undefined)
          throw new Error(
            `${file}: @aws-sdk/${pkg} has no IAM prefix in SERVICE_PREFIX (add it, and the actions to deploy/iam/)`,
          );
        imported.set(local, `${prefix}:${operation}`);
        calls.push({ action: `${prefix}:${operation}`, file });
      }
    }
    for (const m of text.matchAll(/new\s+(\w+Command)\s*\(/g)) {
      const name = m[1] as string;
      if (!imported.has(name))
        throw new Error(
          `${file}: new ${name}( is not imported from @aws-sdk/client-*; cannot tell its IAM action`,
        );
    }
  }
  return calls.sort((a, b) => a.action.localeCompare(b.action) || a.file.localeCompare(b.file));
}

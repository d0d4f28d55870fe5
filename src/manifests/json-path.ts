// Formats a key path like docs/design.md §3: `launch.securityGroups[1]`, `host.files["/etc/ssh/sshd_config"].mode`.

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (PLAIN_KEY.test(String(key))) out += out === '' ? String(key) : `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? '(root)' : out;
}

// Reading AWS Query requests: the form-encoded body, list/struct parameters, and the SigV4 credential scope.

export type QueryParams = ReadonlyMap<string, string>;

export interface Ec2Filter {
  name: string;
  values: string[];
}

/** `Action=…&Version=…&Filter.1.Name=…` → ordered map (a Map, since keys are client input). */
export function parseQueryBody(body: string): Map<string, string> {
  return new Map(new URLSearchParams(body));
}

/**
 * `Credential=AKID/20261126/us-east-1/ec2/aws4_request` → region and service. The SDK signs
 * every request, and the scope is the only place the client's region reaches the server.
 */
export function credentialScope(
  authorization: string | undefined,
): { region: string; service: string } | null {
  const match = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/.exec(authorization ?? '');
  if (!match?.[1] || !match[2]) return null;
  return { region: match[1], service: match[2] };
}

/** `Credential=AKID/…` → AKID: the simulator attributes a request to an account by its access key. */
export function accessKeyId(authorization: string | undefined): string | null {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1] ?? null;
}

/** Indices present under `prefix.N…`, ascending; Query lists are 1-based and may be sparse. */
function indicesUnder(params: QueryParams, prefix: string): number[] {
  const indices = new Set<number>();
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)(?:\\.|$)`);
  for (const key of params.keys()) {
    const match = re.exec(key);
    if (match?.[1]) indices.add(Number(match[1]));
  }
  return [...indices].sort((a, b) => a - b);
}

/** `InstanceId.1=a&InstanceId.2=b` → ['a', 'b']. */
export function listParam(params: QueryParams, prefix: string): string[] {
  const values: string[] = [];
  for (const index of indicesUnder(params, prefix)) {
    const value = params.get(`${prefix}.${index}`);
    if (value !== undefined) values.push(value);
  }
  return values;
}

/** `Tag.1.Key=a&Tag.1.Value=b` → [Map{Key:a, Value:b}]. */
export function structListParam(params: QueryParams, prefix: string): Map<string, string>[] {
  return indicesUnder(params, prefix).map((index) => {
    const head = `${prefix}.${index}.`;
    const fields = new Map<string, string>();
    for (const [key, value] of params) if (key.startsWith(head)) fields.set(key.slice(head.length), value);
    return fields;
  });
}

/** `Filter.1.Name=tag:role&Filter.1.Value.1=web` → [{name:'tag:role', values:['web']}]. */
export function filtersParam(params: QueryParams): Ec2Filter[] {
  return indicesUnder(params, 'Filter').map((index) => ({
    name: params.get(`Filter.${index}.Name`) ?? '',
    values: listParam(params, `Filter.${index}.Value`),
  }));
}

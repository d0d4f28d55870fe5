// The demo's writes to its own daemon, over the public API as a pipeline, an agent or an operator would make them.

export interface DemoApi {
  /** The daemon's base URL, e.g. http://127.0.0.1:9750 */
  url: string;
  /** The demo's admin token. */
  token: string;
}

export function postJson(api: DemoApi, path: string, body: unknown): Promise<Response> {
  return fetch(`${api.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
    body: JSON.stringify(body),
  });
}

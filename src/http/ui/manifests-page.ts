// Manifests by channel with status and how many instances run each, and one manifest in full.
import { compareStrings as compare } from '../../core/compare-strings.js';
import type { ResolvedManifest } from '../../domain/types.js';
import {
  facts,
  imageLink,
  instanceLink,
  orDash,
  renderValue,
  statusBadge,
  timeAgo,
  tableHead,
  pager,
  shownOf,
} from './components.js';
import { html, type Html } from './html.js';
import { renderPage, type PageContext } from './layout.js';
import type { StoredInstance } from '../../app/ports.js';

export interface ManifestsModel extends PageContext {
  /** One page of manifests, by region then image id. */
  manifests: ResolvedManifest[];
  /** Manifests stored. */
  total: number;
  /** The next page's link; null on the last page. */
  next: string | null;
  /** Instances running each image of the page. */
  instancesPerImage: Map<string, number>;
}

export function manifestStatusBadge(m: ResolvedManifest): Html {
  const marker = { active: '✓', superseded: '↑', revoked: '✕' }[m.status];
  return html`<span class="badge manifest-${m.status}"
    ><span aria-hidden="true">${marker}</span> ${m.status}</span
  >`;
}

function statusDetail(m: ResolvedManifest): Html | null {
  if (m.status === 'revoked') return html`<span class="muted">${m.revokedReason}</span>`;
  if (m.status === 'superseded' && m.supersededBy)
    return html`<span class="muted">by ${imageLink(m.supersededBy)}</span>`;
  return null;
}

export function renderManifestsPage(model: ManifestsModel): string {
  const byChannel = new Map<string, ResolvedManifest[]>();
  for (const m of model.manifests) {
    const channel = m.manifest.image.channel ?? '(no channel)';
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), m]);
  }
  const channels = [...byChannel.keys()].sort(compare);
  return renderPage({
    notice: model.notice,
    title: 'Manifests',
    section: 'manifests',
    now: model.now,
    api: '/api/v1/manifests',
    body: html`<h1>Manifests</h1>
      <p class="hint">
        What each image was baked with. Import with <code>driftwarden manifest import FILE</code>; newest
        built first within a channel and region.
      </p>
      ${
        model.total === 0
          ? html`<p class="notice">No manifests imported yet.</p>`
          : shownOf(model.manifests.length, model.total, 'manifests (this page, grouped by channel)')
      }
      ${channels.map((channel, index) => {
        const items = (byChannel.get(channel) ?? []).sort(
          (a, b) =>
            compare(a.manifest.image.region, b.manifest.image.region) ||
            compare(b.manifest.image.builtAt ?? '', a.manifest.image.builtAt ?? '') ||
            compare(a.manifest.image.id, b.manifest.image.id),
        );
        return html`<section aria-labelledby="channel-${index}">
          <h2 id="channel-${index}">Channel ${channel}</h2>
          <table class="manifests" data-channel="${channel}">
            <caption class="visually-hidden">
              Manifests of channel ${channel}
            </caption>
            ${tableHead(['Image', 'Name', 'Region', 'Built', 'Status', { label: 'Instances', num: true }])}
            <tbody>
              ${items.map(
                (m) =>
                  html`<tr data-image="${m.manifest.image.id}">
                    <td>${imageLink(m.manifest.image.id)}</td>
                    <td>${orDash(m.manifest.image.name)}</td>
                    <td>${m.manifest.image.region}</td>
                    <td>
                      ${m.manifest.image.builtAt ? timeAgo(m.manifest.image.builtAt, model.now) : html`<span class="muted">—</span>`}
                    </td>
                    <td>${manifestStatusBadge(m)} ${statusDetail(m)}</td>
                    <td class="num" data-field="instances">
                      ${model.instancesPerImage.get(m.manifest.image.id) ?? 0}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </section>`;
      })}
      ${model.total === 0 ? null : pager(model.next, 'manifests')}`,
  });
}

export interface ManifestModel extends PageContext {
  manifest: ResolvedManifest;
  /** One page of the instances running the image, by instance id. */
  instances: StoredInstance[];
  /** Instances running the image. */
  instanceTotal: number;
  /** The next page of instances; null on the last page. */
  next: string | null;
}

function mapTable(
  id: string,
  caption: string,
  headings: [string, string],
  rows: [string, Html | string][],
): Html {
  return html`<details>
    <summary>${caption} (${rows.length})</summary>
    <table id="${id}">
      <caption class="visually-hidden">
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">${headings[0]}</th>
          <th scope="col">${headings[1]}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          ([k, v]) =>
            html`<tr>
              <th scope="row"><code>${k}</code></th>
              <td>${v}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </details>`;
}

export function renderManifestPage(model: ManifestModel): string {
  const { manifest: m, now } = model;
  const image = m.manifest.image;
  const launch = m.manifest.launch ?? {};
  const host = m.manifest.host ?? {};
  const sorted = <T>(record: Record<string, T> | undefined): [string, T][] =>
    Object.entries(record ?? {}).sort(([a], [b]) => compare(a, b));
  return renderPage({
    notice: model.notice,
    title: `Manifest ${image.id}`,
    section: 'manifests',
    now,
    api: `/api/v1/manifests/${encodeURIComponent(image.id)}`,
    body: html`<nav aria-label="Breadcrumb" class="breadcrumb">
        <a href="/ui/manifests">Manifests</a> › <span aria-current="page">${image.id}</span>
      </nav>
      <h1>
        ${image.id} ${image.name ? html`<span class="muted">${image.name}</span>` : null}
        ${manifestStatusBadge(m)}
      </h1>
      <div class="split">
        <section aria-labelledby="image-heading">
          <h2 id="image-heading">Image</h2>
          ${facts([
            ['Region', image.region],
            ['Channel', image.channel],
            ['Built', image.builtAt ? timeAgo(image.builtAt, now) : null],
            ['Imported', timeAgo(m.importedAt, now)],
            ['Status', html`${manifestStatusBadge(m)} ${statusDetail(m)}`],
            ['Revoked', m.revokedAt ? timeAgo(m.revokedAt, now) : null],
            ['Digest', html`<code>${m.digest}</code>`],
            ...sorted(image.source).map(([k, v]): [string, string] => [`Source ${k}`, v]),
          ])}
        </section>
        <section aria-labelledby="launch-heading">
          <h2 id="launch-heading">Launch</h2>
          ${facts([
            ['Instance type', launch.instanceType === undefined ? null : renderValue(launch.instanceType)],
            [
              'IAM instance profile',
              launch.iamInstanceProfile === undefined ? null : renderValue(launch.iamInstanceProfile),
            ],
            [
              'Security groups',
              launch.securityGroups === undefined ? null : renderValue(launch.securityGroups),
            ],
            [
              'Metadata options',
              launch.metadataOptions === undefined ? null : renderValue(launch.metadataOptions),
            ],
            [
              'User data sha256',
              launch.userDataSha256 === undefined ? null : renderValue(launch.userDataSha256),
            ],
            ['Tags', launch.tags === undefined ? null : renderValue(launch.tags)],
          ])}
        </section>
      </div>
      <section aria-labelledby="host-heading">
        <h2 id="host-heading">Host</h2>
        ${
          m.manifest.host === undefined
            ? html`<p class="muted">This manifest declares no host state.</p>`
            : html`${mapTable(
                'manifest-packages',
                'Packages',
                ['Package', 'Version'],
                sorted(host.packages).map(([k, v]) => [k, html`<code>${v}</code>`]),
              )}
              ${mapTable(
                'manifest-files',
                'Files',
                ['Path', 'sha256 / mode / owner'],
                sorted(host.files).map(([k, v]) => [k, renderValue(v)]),
              )}
              ${mapTable(
                'manifest-services',
                'Services',
                ['Unit', 'State'],
                sorted(host.services).map(([k, v]) => [k, v]),
              )}`
        }
      </section>
      <section aria-labelledby="running-heading">
        <h2 id="running-heading">
          Instances running this image (${model.instanceTotal.toLocaleString('en-US')})
        </h2>
        <table id="manifest-instances">
          <caption class="visually-hidden">
            Instances in the fleet running ${image.id}
          </caption>
          ${tableHead(['Instance', 'Status', 'Group', 'Last seen'])}
          <tbody>
            ${
              model.instances.length === 0
                ? html`<tr>
                    <td colspan="4">No instance in the fleet runs this image.</td>
                  </tr>`
                : model.instances.map(
                    (i) =>
                      html`<tr>
                        <td>${instanceLink(i.instanceId)}</td>
                        <td>${statusBadge(i.status)}</td>
                        <td>${orDash(i.group)}</td>
                        <td>${timeAgo(i.lastSeen, now)}</td>
                      </tr>`,
                  )
            }
          </tbody>
        </table>
        ${pager(model.next, 'instances running this image')}
      </section>`,
  });
}

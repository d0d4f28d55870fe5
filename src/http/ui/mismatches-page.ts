// /ui/manifest-mismatches: differences every instance of an image has had since boot, one row per image and path.
import type { ManifestMismatch } from '../../app/ports.js';
import {
  changeBadge,
  imageLink,
  pager,
  renderValue,
  severityBadge,
  tableHead,
  timeAgo,
} from './components.js';
import { html } from './html.js';
import { renderPage, type PageContext } from './layout.js';

export interface MismatchesModel extends PageContext {
  /** One page, by image, region and path. */
  mismatches: readonly ManifestMismatch[];
  /** The next page's link; null on the last page. */
  next: string | null;
}

export function renderMismatchesPage(model: MismatchesModel): string {
  return renderPage({
    title: 'Manifest mismatches',
    section: 'mismatches',
    now: model.now,
    notice: model.notice,
    api: '/api/v1/manifest-mismatches',
    body: html`<h1>Manifest mismatches</h1>
      <p class="hint">
        Differences that an image's instances share (fleet-wide) and have shown since boot: a bake, manifest
        or boot-time cause, reported once per image and path. No replacement is planned for them: a new
        instance of the same image would have them too. Fix the manifest or the image, or add an ignore rule
        (see <a href="/ui/boot-noise">boot-time noise</a>).
      </p>
      ${
        model.mismatches.length === 0
          ? html`<p class="notice">
              No manifest mismatches: no image's fleet shares a difference since boot.
            </p>`
          : html`<table class="mismatches">
                <caption class="visually-hidden">
                  Manifest mismatches by image and path
                </caption>
                ${tableHead(['Image', 'Region', 'Path', 'Change', 'Severity', 'Expected', 'Consensus value', { label: 'Instances', num: true }, 'Since'])}
                <tbody>
                  ${model.mismatches.map(
                    (m) =>
                      html`<tr data-image="${m.imageId}" data-path="${m.path}">
                        <td>${imageLink(m.imageId)}</td>
                        <td>${m.region}</td>
                        <td><code>${m.path}</code></td>
                        <td>${changeBadge(m.change)}</td>
                        <td>${severityBadge(m.severity)}</td>
                        <td>${renderValue(m.expected)}</td>
                        <td>${renderValue(m.actual)}</td>
                        <td class="num">${m.instances}</td>
                        <td>${timeAgo(m.firstSeen, model.now)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              ${pager(model.next, 'manifest mismatches')}`
      }`,
  });
}

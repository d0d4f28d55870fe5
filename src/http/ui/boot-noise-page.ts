// /ui/boot-noise: the ignore rules `driftwarden rules suggest` would print, with their evidence (read-only).
import { bootNoiseRulesYaml, type BootNoiseSuggestion } from '../../core/boot-noise.js';
import { changeBadge, imageLink, renderValue, shownOf, tableHead, timeAgo } from './components.js';
import { html } from './html.js';
import { renderPage, type PageContext } from './layout.js';

/** A page lists at most this many suggestions; `rules suggest` prints them all. */
export const BOOT_NOISE_PAGE_LIMIT = 100;

export interface BootNoiseModel extends PageContext {
  freshWindow: string;
  suggestions: readonly BootNoiseSuggestion[];
}

export function renderBootNoisePage(model: BootNoiseModel): string {
  const shown = model.suggestions.slice(0, BOOT_NOISE_PAGE_LIMIT);
  return renderPage({
    title: 'Boot-time noise',
    section: 'boot-noise',
    now: model.now,
    notice: model.notice,
    body: html`<h1>Boot-time noise</h1>
      <p class="hint">
        Differences that more than half (and at least 2) of an image's instances launched within the last
        ${model.freshWindow} already show alike: boot-time rewrites rather than hand-made changes. Nothing is
        ignored until a person adds the rule to <code>rules.dir</code>; the same rules come from
        <code>driftwarden rules suggest</code>.
      </p>
      ${
        model.suggestions.length === 0
          ? html`<p class="notice">
              No suggestions: no difference is shared by the fresh instances of an image.
            </p>`
          : html`${shownOf(shown.length, model.suggestions.length, 'suggestions')}
              <table class="boot-noise">
                <caption class="visually-hidden">
                  Suggested ignore rules and their evidence
                </caption>
                ${tableHead(['Channel', 'Path', 'Change', 'Actual', { label: 'Fresh peers', num: true }, 'Images', 'Since'])}
                <tbody>
                  ${shown.map(
                    (s) =>
                      html`<tr data-path="${s.path}">
                        <td>${s.channel}</td>
                        <td><code>${s.path}</code></td>
                        <td>${changeBadge(s.change)}</td>
                        <td>${renderValue(s.actual)}</td>
                        <td class="num">${s.peers} of ${s.freshInstances}</td>
                        <td>${s.imageIds.map((id) => html`${imageLink(id)} `)}</td>
                        <td>${timeAgo(s.since, model.now)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              <h2>As a rule file</h2>
              <pre class="rule-file">${bootNoiseRulesYaml(shown, model.freshWindow)}</pre>`
      }`,
  });
}

// The overview's trend: drifted, stale and unknown-image counts of the stored scans as an inline SVG chart, with the same numbers as a table.
import type { TrendPoint, TrendWindow } from '../../app/ports.js';
import { formatTime } from './components.js';
import { html, type Html } from './html.js';

export interface TrendModel {
  /** The newest scan per bucket, oldest first. */
  points: TrendPoint[];
  window: TrendWindow;
}

const HOUR_MS = 3_600_000;

/** The last 24 hours in quarter hours: at most 96 points, whatever the scan interval. */
export function trendWindow(now: Date): TrendWindow {
  return { since: new Date(now.getTime() - 24 * HOUR_MS), until: now, points: 96 };
}

type SeriesKey = 'drifted' | 'stale' | 'unknownImage';

/** Each series has its own colour and dash pattern (stylesheet), so the lines read in greyscale too. */
const SERIES: readonly { key: SeriesKey; label: string }[] = [
  { key: 'drifted', label: 'drifted' },
  { key: 'stale', label: 'stale' },
  { key: 'unknownImage', label: 'unknown image' },
];

// The chart's own coordinate system (viewBox); the stylesheet scales it to the page's width.
const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 28;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

/** The smallest of 1, 2, 5 × 10ⁿ (at least 1) not below `max`: the top of the value axis. */
export function axisMax(max: number): number {
  for (let scale = 1; ; scale *= 10) {
    for (const step of [1, 2, 5]) if (step * scale >= max) return step * scale;
  }
}

/** One decimal place is enough on a 720-unit canvas. */
function coordinate(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function valueAxis(top: number): Html[] {
  const ticks = top % 2 === 0 ? [0, top / 2, top] : [0, top];
  return ticks.map((tick) => {
    const y = coordinate(TOP + PLOT_HEIGHT - (tick / top) * PLOT_HEIGHT);
    return html`<line class="trend-grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" />
      <text class="trend-axis" x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle"
        >${tick}</text
      >`;
  });
}

/** Labels every quarter of the window, counted back from now (no time zone to get wrong). */
function timeAxis(spanMs: number): Html[] {
  return [0, 1, 2, 3, 4].map((quarter) => {
    const x = coordinate(LEFT + (quarter / 4) * PLOT_WIDTH);
    const hoursAgo = Math.round(((4 - quarter) / 4) * (spanMs / HOUR_MS));
    const anchor = quarter === 0 ? 'start' : quarter === 4 ? 'end' : 'middle';
    return html`<text class="trend-axis" x="${x}" y="${HEIGHT - 8}" text-anchor="${anchor}">
      ${hoursAgo === 0 ? 'now' : `−${hoursAgo}h`}
    </text>`;
  });
}

function chart(model: TrendModel): Html {
  const since = model.window.since.getTime();
  const spanMs = Math.max(1, model.window.until.getTime() - since);
  const top = axisMax(Math.max(0, ...model.points.flatMap((p) => SERIES.map((s) => p[s.key]))));
  const x = (p: TrendPoint): string => coordinate(LEFT + ((Date.parse(p.at) - since) / spanMs) * PLOT_WIDTH);
  const y = (value: number): string => coordinate(TOP + PLOT_HEIGHT - (value / top) * PLOT_HEIGHT);
  return html`<svg
    id="trend-chart"
    class="trend-chart"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    role="img"
    aria-labelledby="trend-chart-title"
    data-axis-max="${top}"
  >
    <title id="trend-chart-title">
      Drifted, stale and unknown-image instances per scan over the last ${Math.round(spanMs / HOUR_MS)} hours
      (the table below has the numbers)
    </title>
    ${valueAxis(top)} ${timeAxis(spanMs)}
    ${SERIES.map(
      (s) =>
        html`<g class="trend-series trend-${s.key}" data-series="${s.key}">
          <polyline points="${model.points.map((p) => `${x(p)},${y(p[s.key])}`).join(' ')}" />
          ${model.points.map(
            (p) =>
              html`<circle cx="${x(p)}" cy="${y(p[s.key])}" r="2.5">
                <title>${formatTime(p.at)}: ${p[s.key]} ${s.label}</title>
              </circle>`,
          )}
        </g>`,
    )}
  </svg>`;
}

function legend(points: readonly TrendPoint[]): Html {
  const first = points[0];
  const last = points.at(-1);
  return html`<ul class="trend-legend" id="trend-legend">
    ${SERIES.map(
      (s) =>
        html`<li class="trend-${s.key}">
          <svg class="trend-swatch" viewBox="0 0 24 8" aria-hidden="true">
            <line x1="0" x2="24" y1="4" y2="4" />
          </svg>
          ${s.label}: <strong data-series="${s.key}">${last?.[s.key] ?? 0}</strong> now
          <span class="muted">(${first?.[s.key] ?? 0} at the first scan shown)</span>
        </li>`,
    )}
  </ul>`;
}

function table(points: readonly TrendPoint[], window: TrendWindow): Html {
  const bucketMinutes = Math.round(
    (window.until.getTime() - window.since.getTime()) / window.points / 60_000,
  );
  return html`<details class="trend-details">
    <summary>The chart's numbers as a table (${points.length} scans)</summary>
    <table id="trend-table">
      <caption class="visually-hidden">
        Instances per scan, oldest first: the newest scan of each ${bucketMinutes} minutes
      </caption>
      <thead>
        <tr>
          <th scope="col">Scan finished</th>
          ${SERIES.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${points.map(
          (p) =>
            html`<tr>
              <th scope="row"><time datetime="${p.at}">${formatTime(p.at)}</time></th>
              ${SERIES.map((s) => html`<td class="num" data-series="${s.key}">${p[s.key]}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </details>`;
}

export function trendSection(model: TrendModel): Html {
  const hours = Math.round((model.window.until.getTime() - model.window.since.getTime()) / HOUR_MS);
  return html`<section aria-labelledby="trend-heading" id="trend">
    <h2 id="trend-heading">Trend, last ${hours} hours</h2>
    ${
      model.points.length === 0
        ? html`<p class="muted">No scan finished in the last ${hours} hours.</p>`
        : html`<figure class="trend">
              ${chart(model)}
              <figcaption>${legend(model.points)}</figcaption>
            </figure>
            ${table(model.points, model.window)}`
    }
  </section>`;
}

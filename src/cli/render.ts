// Plain-text renderings for humans (tables and summaries); --json gives the machine form.
import type { ScanJson } from '../app/scan-json.js';

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function renderScanSummary(scan: ScanJson): string {
  const i = scan.instances;
  let out =
    `scan ${scan.scanId}: ${scan.outcome}\n` +
    `instances: ${i.total} total, ${i.compliant} compliant, ${i.drifted} drifted, ` +
    `${i.unknownImage} unknown image, ${i.stale} stale\n`;
  for (const t of scan.targets.filter((t) => t.status !== 'ok')) {
    out += `target ${t.account ?? '-'}/${t.region} stale: ${t.error ?? ''}\n`;
  }
  if (scan.findings.length === 0) return `${out}no drift\n`;
  out += '\n';
  out += renderTable(
    ['INSTANCE', 'SEVERITY', 'RULE', 'PATH', 'CHANGE', 'EXPECTED', 'ACTUAL'],
    scan.findings.map((f) => [
      f.instanceId,
      f.acceptance ? `${f.severity} (accepted #${f.acceptance.id})` : f.severity,
      f.rule,
      f.path,
      f.change,
      show(f.expected),
      show(f.actual),
    ]),
  );
  return out;
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findingsPage, instanceSectionViews } from '../../src/app/instance-findings.js';
import type { FindingKey, FleetRepository } from '../../src/app/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, finding, scanInput, scanned, useTempDir } from './fixtures.js';

const FILES = 250;
const filePath = (i: number): string => `host.files["/var/tmp/f${String(i).padStart(4, '0')}"]`;

describe('bounded views of one instance (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    const files = Array.from({ length: FILES }, (_, i) =>
      finding('i-1', filePath(i), { change: 'added', rule: 'files', severity: 'warning' }),
    );
    store.fleet.persistScan(
      scanInput('s1', 1, [
        scanned('i-1', [
          finding('i-1', 'image.id', { change: 'superseded-image', rule: 'superseded-image' }),
          finding('i-1', 'launch.metadataOptions.httpTokens'),
          finding('i-1', 'launch.tags.role', { change: 'removed', rule: 'required-tags' }),
          finding('i-1', 'host.files', { change: 'truncated', rule: 'truncated', actual: { omitted: 9 } }),
          ...files,
          finding('i-1', 'host.packages.openssl', { rule: 'packages' }),
        ]),
        scanned('i-2', [finding('i-2', filePath(0), { change: 'added', rule: 'files' })]),
      ]),
    );
  });
  afterEach(() => store.close());

  it('counts open findings per section of one instance', () => {
    expect(
      store.fleet.countOpenFindings('i-1', [
        'image',
        'launch',
        'host.packages',
        'host.files',
        'host.services',
      ]),
    ).toEqual([
      { section: 'image', open: 1, accepted: 0 },
      { section: 'launch', open: 2, accepted: 0 },
      { section: 'host.packages', open: 1, accepted: 0 },
      { section: 'host.files', open: FILES + 1, accepted: 0 },
      { section: 'host.services', open: 0, accepted: 0 },
    ]);
  });

  it('pages through a section in path order with a cursor, each finding once', () => {
    const seen: string[] = [];
    let after: FindingKey | undefined;
    let pages = 0;
    do {
      const page = findingsPage(store.fleet, 'i-1', 'host.files', 100, after);
      seen.push(...page.items.map((f) => f.path));
      after = page.next ?? undefined;
      pages += 1;
    } while (after !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(['host.files', ...Array.from({ length: FILES }, (_, i) => filePath(i))]);
  });

  it('reads no more rows than the page shows, plus one per section', () => {
    let rowsRead = 0;
    const counting: Pick<FleetRepository, 'listFindings' | 'countOpenFindings'> = {
      listFindings: (query) => {
        const rows = store.fleet.listFindings(query);
        rowsRead += rows.length;
        return rows;
      },
      countOpenFindings: (id, sections) => store.fleet.countOpenFindings(id, sections),
    };
    const views = instanceSectionViews(counting, 'i-1', 100);
    expect(views.find((v) => v.section === 'host.files')).toMatchObject({
      total: FILES + 1,
      next: { path: filePath(98), change: 'added' },
    });
    expect(views.flatMap((v) => v.items)).toHaveLength(1 + 2 + 1 + 100);
    expect(rowsRead).toBeLessThanOrEqual(1 + 2 + 1 + 101);
  });
});

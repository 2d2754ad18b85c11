import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBacklog } from '../../src/backlog/load';

describe('loadBacklog reads the same text once parsed', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nightshift-backlog-cache-'));
  const file = 'backlog.md';
  const paths = { projectRoot: root, productBacklog: file, metaBacklog: 'meta.md', metaRatio: 0 };

  test('when the file changes between loads, then the second load has the new items', async () => {
    writeFileSync(path.join(root, file), '1. First item\n2. Second item\n');
    expect((await loadBacklog(paths)).items.map((i) => i.text)).toEqual(['First item', 'Second item']);
    writeFileSync(path.join(root, file), '1. First item\n2. Another item\n3. Third item\n');
    expect((await loadBacklog(paths)).items.map((i) => i.text)).toEqual(['First item', 'Another item', 'Third item']);
  });

  test('when a caller changes the items it got, then the next load of the same text is not changed', async () => {
    writeFileSync(path.join(root, file), '1. Kept item\n');
    const first = await loadBacklog(paths);
    first.items[0].text = 'changed by the caller';
    first.items.push({ ...first.items[0], key: 'extra' });
    expect((await loadBacklog(paths)).items.map((i) => i.text)).toEqual(['Kept item']);
  });
});

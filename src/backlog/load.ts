import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BacklogItem } from '../shared/types';
import { combineBacklogs } from './combine';
import { findMalformedLines, parseBacklog, toBacklogItems, type MalformedLine } from './parse';

export interface BacklogPaths {
  projectRoot: string;
  productBacklog: string;
  metaBacklog: string;
  metaRatio: number;
}

export interface LoadedBacklog {
  items: BacklogItem[];
  warnings: string[];
  malformed: { file: string; lines: MalformedLine[] }[];
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Reads both backlogs and returns their items in combined run order. A missing file is an empty backlog. */
export async function loadBacklog(paths: BacklogPaths): Promise<LoadedBacklog> {
  const warnings: string[] = [];
  const malformed: LoadedBacklog['malformed'] = [];
  const read = async (file: string, source: 'product' | 'meta', optional: boolean): Promise<BacklogItem[]> => {
    const abs = path.resolve(paths.projectRoot, file);
    const content = await readIfExists(abs);
    if (content === null) {
      if (!optional) warnings.push(`backlog not found: ${file} (treated as empty)`);
      return [];
    }
    const bad = findMalformedLines(content);
    if (bad.length) malformed.push({ file, lines: bad });
    return toBacklogItems(parseBacklog(content), source, file);
  };
  const product = await read(paths.productBacklog, 'product', false);
  const meta = paths.metaRatio > 0 ? await read(paths.metaBacklog, 'meta', true) : [];
  const seen = new Set(product.map((i) => i.key));
  const metaOnly = meta.filter((i) => !seen.has(i.key));
  return { items: combineBacklogs(product, metaOnly, paths.metaRatio), warnings, malformed };
}

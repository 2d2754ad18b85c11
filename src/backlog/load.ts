import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BacklogItem } from '../shared/contracts/pipeline';
import { combineBacklogs } from './combine';
import { analyseBacklog, toBacklogItems, type IgnoredLine, type MalformedLine } from './parse';

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
  /**
   * Numbered (or digit-first) lines that markdown puts out of the backlog: in code, a comment, a quote, under an item.
   */
  ignored: { file: string; lines: IgnoredLine[] }[];
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The last parse of each backlog file, by path: a status computed every second reads the same text each time, and
 * parsing it (markdown, a hash per item) cost more than the rest of the status together.
 */
const parsed = new Map<
  string,
  { content: string; source: string; file: string; doc: ReturnType<typeof analyseBacklog>; items: BacklogItem[] }
>();

function parseBacklog(
  abs: string,
  content: string,
  source: 'product' | 'meta',
  file: string,
): { doc: ReturnType<typeof analyseBacklog>; items: BacklogItem[] } {
  const known = parsed.get(abs);
  if (known && known.content === content && known.source === source && known.file === file) return known;
  const doc = analyseBacklog(content);
  const entry = { content, source, file, doc, items: toBacklogItems(doc.items, source, file) };
  parsed.set(abs, entry);
  return entry;
}

/** Reads both backlogs and returns their items in combined run order. A missing file is an empty backlog. */
export async function loadBacklog(paths: BacklogPaths): Promise<LoadedBacklog> {
  const warnings: string[] = [];
  const malformed: LoadedBacklog['malformed'] = [];
  const ignored: LoadedBacklog['ignored'] = [];
  const read = async (file: string, source: 'product' | 'meta', optional: boolean): Promise<BacklogItem[]> => {
    const abs = path.resolve(paths.projectRoot, file);
    const content = await readIfExists(abs);
    if (content === null) {
      if (!optional) warnings.push(`backlog not found: ${file} (treated as empty)`);
      return [];
    }
    const { doc, items } = parseBacklog(abs, content, source, file);
    if (doc.malformed.length) malformed.push({ file, lines: doc.malformed });
    if (doc.ignored.length) ignored.push({ file, lines: doc.ignored });
    return items.map((i) => ({ ...i })); // callers own what they get
  };
  const product = await read(paths.productBacklog, 'product', false);
  const meta = paths.metaRatio > 0 ? await read(paths.metaBacklog, 'meta', true) : [];
  const seen = new Set(product.map((i) => i.key));
  const metaOnly = meta.filter((i) => !seen.has(i.key));
  return { items: combineBacklogs(product, metaOnly, paths.metaRatio), warnings, malformed, ignored };
}

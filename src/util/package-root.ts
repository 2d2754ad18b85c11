import { existsSync } from 'node:fs';
import path from 'node:path';

let cached: string | null = null;

/** The nightshift package folder, whether running from `src/` (tests) or `lib/` (built). */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${__dirname}`);
    dir = parent;
  }
  cached = dir;
  return dir;
}

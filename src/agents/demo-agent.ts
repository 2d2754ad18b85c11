#!/usr/bin/env node
/**
 * The built-in demo agent: deterministic, real edits in the current folder
 * per task type, so a pipeline can be watched end to end without an AI CLI.
 * spec → specs/<slug>.md, impl → src/<slug>.js, test → test/<slug>.test.js
 * (node:test), review → a `VERDICT:` line. Failures are chosen by a hash of
 * the task id, so the same task always behaves the same way.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

interface Args {
  taskType: string;
  taskId: string;
  promptFile: string;
  failRate: number;
  delayMs: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, def = ''): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
  };
  return {
    taskType: get('task-type', 'impl'),
    taskId: get('task-id', 'task_0000000000000000'),
    promptFile: get('prompt-file'),
    failRate: Number(get('fail-rate', '0')) || 0,
    delayMs: Number(get('delay-ms', '0')) || 0,
  };
}

const ITEM_PATTERNS = [
  /^Write or expand the spec for: (.*)\. Use specs\/TEMPLATE\.md/s,
  /^Implement per spec: (.*)\. Modify only files listed/s,
  /^Fix the issues \(iteration \d+\): (.*?)\. Review feedback or test failures:/s,
  /^Write and run tests for: (.*)\. Ensure tests define the contract/s,
  /^Review the implementation for: (.*)\. Check spec compliance/s,
];

export function itemFromDirection(direction: string): string {
  for (const re of ITEM_PATTERNS) {
    const m = re.exec(direction);
    if (m) return m[1];
  }
  return direction;
}

function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return s || 'item';
}

function unitInterval(taskId: string): number {
  return createHash('sha256').update(taskId).digest().readUInt32BE(0) / 0x1_0000_0000;
}

function write(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function run(args: Args): number {
  const direction = args.promptFile && existsSync(args.promptFile) ? readFileSync(args.promptFile, 'utf8') : '';
  const item = itemFromDirection(direction.trim());
  const name = slug(item);
  console.log(`demo agent: ${args.taskType} task ${args.taskId}`);
  if (unitInterval(args.taskId) < args.failRate) {
    console.log(
      `Simulated failure for ${args.taskType} on "${item.slice(0, 80)}" (DEMO_AGENT_FAIL_RATE=${args.failRate}).`,
    );
    return 1;
  }
  const fn = `item_${name.replace(/-/g, '_')}`;
  switch (args.taskType) {
    case 'spec':
      write(
        path.join('specs', `${name}.md`),
        `# Spec: ${item}\n\n## Requirements\n\n- \`${fn}()\` returns the item's title.\n`,
      );
      console.log(`Spec written: specs/${name}.md`);
      break;
    case 'impl': {
      // A fix iteration is a real edit too: an impl task that changes no file is not a completion.
      const fix = /^Fix the issues \(iteration (\d+)\)/.exec(direction.trim());
      const note = fix ? `// fix iteration ${fix[1]}\n` : '';
      write(path.join('src', `${name}.js`), `'use strict';\n${note}\nexports.${fn} = () => ${JSON.stringify(item)};\n`);
      console.log(`Implemented src/${name}.js per specs/${name}.md`);
      break;
    }
    case 'test':
      write(
        path.join('test', `${name}.test.js`),
        `'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert');\nconst { ${fn} } = require('../src/${name}.js');\n\n` +
          `test('${fn} returns the title', () => {\n  assert.strictEqual(${fn}(), ${JSON.stringify(item)});\n});\n`,
      );
      console.log(`Tests written: test/${name}.test.js (1 test)`);
      break;
    case 'review':
      console.log(
        `Reviewed src/${name}.js against specs/${name}.md: spec compliance, security and correctness checked.`,
      );
      console.log('VERDICT: pass');
      break;
    default:
      console.log(`Diagnosed: ${item.slice(0, 200)}`);
      console.log('No action needed in the demo project.');
  }
  return 0;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  setTimeout(() => {
    process.exitCode = run(args);
  }, args.delayMs);
}

if (require.main === module) main();

#!/usr/bin/env node
'use strict';
/**
 * The scripted agent (test/fixtures/scripted-agent.js), but it first prints a few progress
 * lines over about a second, like a real agent CLI streaming its work, so the task log has
 * a live tail while the task runs. argv: the scripted agent's (<plan.json> <task_type> <task_id> <prompt_file>).
 */
const path = require('node:path');
const { spawn } = require('node:child_process');

const [, , , taskType, taskId] = process.argv;
const steps = ['reading the direction', 'editing files', 'checking the result'];
let i = 0;
const timer = setInterval(() => {
  process.stdout.write(`[agent] ${taskType} ${taskId}: ${steps[i]}\n`);
  if (++i < steps.length) return;
  clearInterval(timer);
  const child = spawn(
    process.execPath,
    [path.resolve(__dirname, '../fixtures/scripted-agent.js'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
}, 400);

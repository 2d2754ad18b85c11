#!/usr/bin/env node
'use strict';
/**
 * `npm start`: setup, then `nightshift up --demo` in this same process. npm
 * signals its direct child; with `sh -c "setup && up"` in between, a SIGTERM
 * or SIGINT sent to npm ended the shell and left `up` and everything it
 * started running under PID 1. Extra arguments go to `up`
 * (`npm start -- --once`).
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Setup in a child: it may run npm and tsc, which must finish before lib/ is loaded.
const setup = spawnSync(process.execPath, [path.join(__dirname, 'setup.js')], { cwd: root, stdio: 'inherit' });
if (setup.error || setup.status !== 0) process.exit(setup.status || 1);
// --exit-with-parent: npm does not forward SIGHUP, so `up` also stops when npm is gone.
require(path.join(root, 'lib', 'cli', 'main.js')).main([
  'up',
  '--demo',
  '--exit-with-parent',
  ...process.argv.slice(2),
]);

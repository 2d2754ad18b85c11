/**
 * The closing section of docs/PERFORMANCE.md: what limits the figures, found
 * by profiling on 2026-11-22 (2 cores), with the fix proposed for each. The
 * numbers in the sections above are measured on every run; this text is not —
 * update it when a cause is fixed.
 */
export const ANALYSIS = `
## What limits the figures (analysis of 2026-11-22)

Found with the histories the bench reads (the profile lines in each section), CPU profiles of the worker and the API
(\`node lib/bench/main.js --only api --profile\` writes them with \`--cpu-prof\`), and the worker's memory after forced
collections. Each cause comes with the fix proposed to the lead; none of them is applied in this report's code.

1. **History bound with parallel items (long run).** The pipeline continues as new only when no item runs (\`idle()\` in
   \`src/workflows/pipeline.ts\`), since its children would end with the run. With \`PIPELINE_PARALLEL_ITEMS\` > 1 it
   refills a slot as soon as one frees, so it is idle only by accident (when its own serial steps fall behind and all
   items drain). Otherwise a run grows by about 38 events per item (backlog read, worktree prepared, child started and
   completed, worktree merged, coverage, outcome record, and their workflow tasks) until the backlog ends: past about
   265 items a run passes 10,000 events, and near 1,350 items it would reach the server's hard limit of 51,200, where
   the run is terminated. *Fix:* once the history is due, start no new item and let the running ones finish, then
   continue as new (behind \`patched('drain-before-continue-as-new')\`; items waiting for a decision do not hold the
   drain). On a copy of the code with that change, \`test/integration/long-run.test.ts\` passed with three pipeline
   runs, the longest 2,167 events, and the replay and pipeline workflow tests still passed. Without it the same test
   fails: one run started all 128 items (4,994 events).
2. **Throughput with parallel items.** The pipeline's loop starts and settles items one at a time and is busy with its
   own steps most of its lifetime (the throughput section measures it): \`prepareWorktree\` and \`closeWorktree\` take
   about 250–350 ms each, plus six or so workflow tasks per item. That caps a 4-task item pipeline near 4 tasks/s
   whatever the parallelism. Inside items, \`commitTask\` costs 230–360 ms per task even when nothing changed: four git
   processes (\`rev-parse\`, \`config --get user.email\`, \`log --grep\` over the whole history, \`status\`). The worker's CPU
   profile shows 39% of its main thread inside \`ChildProcess.spawn\`: the synchronous fork/exec of a 300–400 MB
   process takes 8–9 ms per spawn (1–2 ms from a small process), and there are about seven git spawns per task for
   one agent spawn. Those blocked milliseconds also delay workflow tasks and queries. *Fixes:* prepare the worktree
   inside the item workflow (its first step) so the loop only starts children; check \`git status --porcelain\` first in
   \`commitTask\` and look for the trailer on \`HEAD\` only (a retried commit is the branch's last one), caching the
   identity per repository; fewer git processes per step.
3. **\`/api/agent/pipeline-status\` tail latency.** The API process is mostly idle under load (about two thirds of its
   CPU profile); requests wait for a fresh status. One takes 5 sequential Temporal round trips (describe, query the
   pipeline, query each running item, list, describe each running item), and the item queries are answered by the
   busy worker (a probe measured a median of 110–230 ms and a p95 of 680–820 ms per item query). The 1-second
   \`TtlCache\` shares one computation, but every request that arrives meanwhile waits for it. *Fix:*
   stale-while-revalidate: answer the last status at once while one refresh runs (answers stay at most about 2 s old),
   and keep the serialized JSON.
4. **\`/api/agent/metrics\` tail latency.** With 50 connections kept busy, mean latency is at least 50 ÷ throughput
   (Little's law): 930 requests/s means 54 ms on average, so a 100 ms p99 needs the endpoint at well over 500
   requests/s with little variance while it shares 2 cores with the load generator, the worker, the agents and the
   server.
5. **The pipeline under API load.** On 2 cores the load generator (in the bench process) and the API take about one
   core between them (see the CPU column), and the pipeline is CPU-bound itself (agents, git, worker). That slows it on
   this machine whatever the API does. A fair check needs the load generator on another machine.
6. **Worker memory.** No leak was found. The V8 heaps of all the worker's threads hold the same after a collection at
   the start and the end (about 70 MB used, 150 MB allocated). RSS follows a sawtooth: it climbs to about 450 MB while
   V8 postpones full collections, then falls back to about 300 MB. What grows and shrinks is native memory released
   when V8 collects. In an experiment with a full GC every 30 s, RSS stayed between 272 and 285 MB over 1,600 tasks.
   The start → end figure therefore depends on where in the sawtooth the run ends.
`;

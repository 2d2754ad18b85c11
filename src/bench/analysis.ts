/**
 * The closing section of docs/PERFORMANCE.md: what limits the figures, found
 * by profiling on 2026-11-22 (2 cores, shared with other work), with the fix
 * proposed for each. The sections above are measured on every run; this text
 * is not — update it when a cause is fixed.
 */
export const ANALYSIS = `
## What limits the figures (analysis of 2026-11-22)

Found with the histories the bench reads (the profile lines in each section), CPU profiles of the worker and the API
(\`--profile\` writes them with \`--cpu-prof\`), a probe of the Temporal calls behind a status, and the worker's memory
after forced collections. The machine was shared with other work during these runs (load averages of 2–10 on 2
cores), so figures within about 20% of a target can fall on either side from one run to the next. Each cause comes
with a fix. The first has been applied since (commit ea38491; the numbers quoted for it come from a full run before
the fix); the others are proposals.

1. **History bound with parallel items (long run).** The pipeline continues as new only when no item runs (\`idle()\` in
   \`src/workflows/pipeline.ts\`), since its children would end with the run. With \`PIPELINE_PARALLEL_ITEMS\` > 1 it
   refills a slot as soon as one frees, so it is idle only by accident (when its own serial steps fall behind and all
   items drain). Otherwise a run grows by about 38 events per item (backlog read, worktree prepared, child started and
   completed, worktree merged, coverage, outcome record, and their workflow tasks) until the backlog ends: 313 items
   made one run of 12,008 events; past about 1,350 items a run would reach the server's hard limit of 51,200 events
   and be terminated. *Fixed* (ea38491): once the history is due, no new item starts and the running ones finish, then
   the run continues as new (behind \`patched('drain-before-continue-as-new')\`; items waiting for a decision do not
   hold the drain). With the drain, \`test/integration/long-run.test.ts\` passes with three pipeline runs, the longest
   2,167 events. Without it the test fails: one run started all 128 items (4,994 events).
2. **Hand-off latency.** The ratio lies near the 2× line: 1.5–1.9 in runs on a quieter machine, 2.14 in the full run.
   Inside an item a hand-off is one more workflow task than the baseline's (about 18 ms each) plus the \`finishTask\`
   activity (about 8 ms) and \`runAgentTask\`'s set-up (prompt file, "running" snapshot, log file, pid file).
   *Proposal:* run \`finishTask\` as a local activity (behind \`patched()\`), which saves a round trip through the server
   per task. In two A/B runs the median moved from 51.6 ms to 45.1 and 48.6 ms: within the noise, so this is not
   established.
3. **Throughput with parallel items.** The pipeline's loop starts and settles items one at a time and is busy with its
   own steps most of its lifetime (96% in the throughput run): \`prepareWorktree\` and \`closeWorktree\` take 210–450 ms
   each, plus about six workflow tasks per item. That caps a pipeline of 4-task items near 4–5 tasks/s whatever the
   parallelism. Inside items, \`commitTask\` costs 230–365 ms per task even when nothing changed. It runs four git
   processes: \`rev-parse\`, \`config --get user.email\`, \`log --grep\` over the whole history, and \`status\`.
   In the long run this cost rose from 282 to 365 ms between the first and last items while the history grew; the
   machine's load also rose, so the two causes cannot be separated. The worker's CPU profile shows 39% of its main
   thread inside \`ChildProcess.spawn\`: the synchronous fork/exec of a 300–400 MB process takes 8–9 ms per spawn (1–2
   ms from a small process), and there are about seven git spawns per task for each agent spawn. Those blocked
   milliseconds also delay workflow tasks and queries. *Fixes:* prepare the worktree inside the item workflow (its
   first step), so the loop only starts children. In \`commitTask\`, check \`git status --porcelain\` first and look for the
   trailer on \`HEAD\` only (a retried commit is the branch's last one), and cache the identity per repository.
4. **\`/api/agent/pipeline-status\` tail latency.** While it computes a fresh status the API process is over 90% idle
   (CPU profile): it waits for Temporal. A status takes 5 sequential round trips: describe, query the pipeline, query
   each running item, list, describe each running item. The item queries are answered by the busy worker: a probe
   measured a median of 110–230 ms and a p95 of 680–820 ms per item query, while describe and list take about 10 ms.
   The 1-second \`TtlCache\` shares one computation, but every request that arrives during it waits for it.
   *Proposal:* stale-while-revalidate, which answers the last status at once while one refresh runs, so answers are at
   most about 2 s old. One A/B run under heavy outside load gave a p99 of 727 ms against 959 ms: inconclusive. A
   trade-off to weigh is that a stale answer can hide an unreachable Temporal for a few seconds (today's contract is
   a 503 within 2 s).
5. **\`/api/agent/metrics\` tail latency.** With 50 connections kept busy, mean latency is at least 50 ÷ throughput
   (Little's law). At 1,841 requests/s that is 27 ms, and the p99 landed at 87–102 ms across runs. The endpoint shares
   2 cores with the load generator, the worker, the agents and the server.
6. **The pipeline under API load.** On 2 cores the load generator (in the bench process) and the API take up to a core
   between them (see the CPU column), and the pipeline is CPU-bound itself (agents, git, worker). Whether it counts as
   slowed therefore depends on the machine's other load as much as on the API. A fair check needs the load generator
   on another machine.
7. **Worker memory.** No leak was found. The V8 heaps of all the worker's threads hold the same after a collection at
   the start and the end (about 70 MB used, 150 MB allocated). RSS follows a sawtooth early on: it reaches about 450
   MB while V8 postpones full collections, then settles near 300 MB and stays there (5,008 tasks: 283 → 311 MB over
   the last 4,000). What grows and shrinks is native memory released when V8 collects. In an experiment with a full GC
   every 30 s, RSS stayed between 272 and 285 MB over 1,600 tasks.
`;

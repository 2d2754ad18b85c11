/**
 * The closing section of docs/PERFORMANCE.md: what limits the figures, found
 * by profiling on 2026-11-22 (2 cores, shared with other work), with the fix
 * proposed for each. The sections above are measured on every run; this text
 * is not — update it when a cause is fixed.
 */
export const ANALYSIS = `
## What limits the figures (analysis of 2026-11-22; throughput revised 2026-12-07)

Found with the histories the bench reads (the profile lines in each section), CPU profiles of the worker and the API
(\`--profile\` writes them with \`--cpu-prof\`; \`node --cpu-prof .bench-build/bench/main.js\` profiles the bench process,
which hosts the worker in the hand-off and throughput figures), CPU time per task by process (the throughput section),
a probe of the Temporal calls behind a status, and the worker's memory after forced collections. The machine has 2 cores
and is shared: the summary table says how its CPU went while each figure was measured, and figures within about 20% of
a target fall on either side from one run to the next. The numbers quoted below come from runs on the day each cause
was found (2026-11-22 unless said otherwise), not from the run above, whose own figures are in the sections. Items 1 to
5 and 7 have been fixed; item 6 needs the load generator on another machine.

1. **History bound with parallel items (long run).** The pipeline continues as new only when no item runs, since its
   children would end with the run. With \`PIPELINE_PARALLEL_ITEMS\` > 1 it refilled a slot as soon as one freed, so it
   was idle only by accident and a run grew by about 38 events per item until the backlog ended: 313 items made one run
   of 12,008 events, and past about 1,350 items a run would have reached the server's hard limit of 51,200 events.
   *Fixed:* once the history is due, no new item starts and the running ones finish, then the run continues as new
   (\`patched('drain-before-continue-as-new')\`; items waiting for a decision do not hold the drain).
   \`test/integration/long-run.test.ts\` (2,048 tasks) fails without it.
2. **Hand-off latency.** Before: 2.14× the baseline (1.5–1.9× on a quieter machine). Inside an item a hand-off was
   one more workflow task and one more activity than the baseline's: the agent's activity completed, a workflow task
   scheduled \`finishTask\` (the task's record), and only its completion let the next workflow task schedule the next
   agent. *Fixed:* the record is scheduled in the same workflow task as the next agent run and awaited before the
   item ends (\`patched('record-beside-next-task')\`; \`test/workflows/item.test.ts\` checks both from the history),
   and \`runAgentTask\`'s file steps before the spawn and after the exit run side by side. Same-day runs after the
   fix: 1.12–1.23×. What remains is \`runAgentTask\`'s own set-up (prompt file, "running" snapshot, log file, pid file).
3. **Throughput with parallel items.** nightshift does more per task than the baseline: per task, a commit step in the
   item's worktree and one more workflow task; per item, a worktree, a merge, a coverage update with its commit, an
   outcome record, a child workflow and about six workflow tasks of the pipeline. Before, the pipeline's loop did the
   worktree and the merge for every item one at a time and was busy 96% of its life, and \`commitTask\` ran four git
   processes per task (rev-parse, config, \`log --grep\` over the whole history, status), 230–365 ms each time.
   *Fixed, in steps:* each item prepares its own worktree as its first step (\`patched('worktree-prepared-by-item')\`),
   \`commitTask\` on a first attempt with nothing to commit runs one git process (status), with the repository's
   identity cached (0.37–0.44× in the runs after these two). Then the loop stopped waiting for settles: a finished
   item's merge, coverage and outcome record run one after another beside the items started after it, so a freed slot
   is taken at once (\`patched('settle-beside-new-items')\`; 0.48× in a run before the backlog-read and worktree changes below); a backlog read under 2 s
   old starts the next pending item (\`patched('reuse-recent-backlog-read')\`: slots free in bursts, and one read used to
   precede every start); a worktree is one \`git worktree add\` and a merge one \`git merge\` in the usual case (three and
   up to eight git processes before). Full runs after all of these: 6.57 against 10.65 tasks/s (0.62×, a run cut short by
   host steal), 6.42 against 10.85 (0.59×; 0.40× in the run before), 6.09 against 11.36 (0.54×), and 5.54 against 11.01 (0.50×). What limits it now is CPU (see the summary table's column): the no-op agent costs
   almost nothing, so the figure compares nightshift's bookkeeping with none at all. The worker's CPU profile showed
   39% of its main thread inside \`ChildProcess.spawn\`: the fork of a 300–400 MB process takes 8–9 ms per spawn (1–2
   ms from a small process), and each task still spawns git beside its agent. When the machine's CPU is short,
   nightshift's rate falls and the baseline's barely moves, so the ratio swings between runs. *Then (2026-12-07):* the throughput section now
   splits CPU per task by process, which showed the rate following the total: nightshift 227.6 ms per task (worker
   66.0, child processes 98.3, Temporal server 63.2) against the baseline's 126.6 (18.4, 91.1, 17.0), 0.58× in that
   quick run. A profile of the bench process put a third of the worker's main thread in \`ChildProcess.spawn\`: every
   agent and every git call forked the 300–400 MB worker, 16–21 ms each. *Fixed:* every command (git, agents, the test
   command) is forked by the worker's small spawn helper (\`src/util/spawn-helper.ts\`, about 1 ms a fork;
   \`test/faults/spawn-helper.test.ts\`), and the agent step commits its completed run and writes the finished task's
   record itself (\`patched('commit-in-agent-step')\`, \`patched('record-in-agent-step')\`), so a task is one activity
   and one workflow task, as in the baseline (\`test/workflows/item.test.ts\` checks it from the history). Quick runs
   the same day (24 items): 170.3 ms per task (worker 30.7, child processes 96.7, Temporal server 42.9) against 124.5
   for the baseline, 0.78×. What remains is per item: the child workflow and the pipeline's workflow tasks, the
   worktree, the merge, the coverage commit and the outcome record, most of it Temporal server CPU.
4. **\`/api/agent/pipeline-status\` tail latency.** Before: p99 959 ms. The API waited on Temporal: a fresh status is
   a describe, a query of the pipeline and one query per running item, and the item queries are answered by the busy
   worker (median 110–230 ms, p95 680–820 ms each). The 1-second cache shared one computation, but every request that
   arrived during it waited for it. *Fixed:* stale-while-revalidate. A status is fresh for 1 s; after that the last
   one is answered at once while one refresh runs, and a failed refresh drops it, so an unreachable Temporal still
   gives a 503 within 2 s. Each cached status is serialised and hashed for its ETag once, not per request. Requests
   per second went from 307 to 860–2,520 in same-day runs. *Then:* with the pipeline faster, a fresh status took 1–2 s
   (the describe, the queries and the monitor's liveness read one after another), longer than the 3 s a status could
   be served stale counted from when its computation began, so under load requests queued for the refresh again (p99
   977 ms, max 1,628 ms). *Fixed:* after the one describe, the pipeline's queries and the liveness read run side by
   side, and the last status is served while a refresh runs for as long as a refresh may take (5.5 s: the fresh
   second plus Temporal's deadlines; \`test/unit/ttl-cache.test.ts\` checks the settings). In a same-day run the status
   p99 fell to 244 ms (from 977) with the metrics window at 206 ms: the tail is now set by CPU, as for metrics.
5. **Tail latency under 50 connections, both endpoints.** With 50 connections kept busy, mean latency is at least 50 ÷
   throughput (Little's law): when CPU is short, the API's CPU per request is its latency. Before: p99 200–600 ms
   at 580–980 requests/s with the pipeline running. A profile of the API under load, and the API measured alone (50
   connections, no pipeline), showed where its CPU went: 0.28 ms per metrics request, against 0.023 ms for node's bare
   HTTP server writing a fixed body. Express 5 spends about 0.2 ms of it before a handler runs (it swaps the request's
   and the response's prototypes on every request, then walks the routers: the two hot routes came after five
   others), and each metrics answer was recomputed and serialised anew. *Fixed:* the two reads are answered before
   Express when the answer is at hand (\`src/api/hot-reads.ts\`: a cached status, or the metrics store's aggregates).
   Anything else goes through Express, which gives the same answer: conditional requests, other queries, refused
   reads, a status that must wait for its refresh, errors (\`test/unit/hot-reads.test.ts\`; \`test/integration/api.test.ts\`
   compares the two paths). The metrics store gives back the same frozen aggregates while its counts are unchanged,
   so each distinct answer is serialised once. Alone: 0.032 ms per metrics request, 30,000 requests/s (3,600 before).
   Under load: p99 66 ms for status and 28 ms for metrics in the complete run before the one above (3,553 and 9,301
   requests/s); after the fix of item 6, 57–79 ms for status and 30–46 ms for metrics in five same-day runs of the
   figure alone, and 125 ms and 46 ms in the run above, where the whole machine was slower (the pipeline's idle rate
   was 4.7–6.2 tasks/s against 6.3–8.2 in those runs, and a status took 589 ms to compute against 329). Status is the
   larger answer (running tasks with the live tail of one, and previews of the latest prompt and output), and the
   load generator reads the bytes on the same 2 cores: under this load the p99 is set by the CPU share the API gets.
   Before that: requests waiting for a read of the metrics file share it (50 at once cost one \`stat\`;
   \`test/unit/metrics-store.test.ts\`). A fair check of the p99 needs the load generator on another machine.
6. **The pipeline under API load.** *Cause found:* a status computed afresh (once a second under load) queried every
   item the pipeline listed as running, and since finished items are settled beside new ones, 2–6 of those items had
   already ended and were waiting for their merge. A query of an ended workflow is not answered from the worker's
   cache: the server hands it to a worker, which fetches the whole history and replays it. Measured side by side on a
   running pipeline: 40 queries of one ended item cost the worker 3.6 s of CPU (about 90 ms each, 380 ms apiece to
   answer), the same number of queries of the running pipeline about a tenth of that; a status once a second added
   1.2–1.4 s of worker CPU per 10 s (about 30%), all of it in the thread that runs workflows. *Fixed:* the pipeline
   names an item's workflow for a query only while it runs (a finished item waiting to be settled shows the iteration
   and position it ended at), and the status's item queries ask the server to reject a query of an ended workflow
   (\`QueryRejectCondition\` \`NOT_OPEN\`), so an item that ends in between is not replayed either
   (\`test/workflows/pipeline.test.ts\` checks both against a real server; \`test/unit/pipeline-state.test.ts\` the
   view). Since then a status once a second costs the worker no measurable CPU (10 s windows: 4.30 and 4.13 s with
   it against 4.43, 4.30 and 3.87 s without), and a fresh status takes about 330 ms instead of about 1 s.
   *What remains is the load itself, and this machine cannot show the target.* The control window drives the same
   50 connections at node's bare HTTP server in its own process, answering every request with the bytes of a status
   answer: nothing behind it. It slows the pipeline as much as nightshift's endpoints do: 0.75 in the run above
   (status 0.69, metrics 0.81), and 0.83, 0.71 and 0.71 in three same-day runs of the figure alone (status 0.70, 0.73,
   0.81; metrics 0.69, 0.80, 0.74). The worker used no more CPU under status load than without load (see the CPU
   column); the load generator and the server answering it take 0.4–0.6 of a core between them, and closed-loop
   connections take that share whatever a request costs. So on 2 cores, with the load generator on the same
   machine, even a server that does nothing misses 0.8 in most runs: the figure needs the load generator on another
   machine. *Tried:* the API at a lower CPU priority than the worker (nice +5 and +10, after the fix): the pipeline
   kept 0.75–0.88 of its idle rate, no better beyond the noise, while the status p99 rose to 98–215 ms; priority was
   left equal. An API that held answers back to cap its own request rate would pass the figure, but only by serving
   callers slower than the machine can, so it was not built.
7. **Worker memory.** No leak was found: the V8 heaps of all the worker's threads hold the same after a collection at
   the start and the end (about 70 MB used, 150 MB allocated). What grew was native memory (RSS − V8 heaps: 79 → 196
   MB in the run before the fix), in the first thousand tasks, then flat: 127 MB of growth after a full GC, 149 as
   sampled. *Cause:* glibc's malloc raises its mmap threshold each time a large block is freed (from 128 KiB up to 32
   MiB), after which the worker's large short-lived buffers come from the heap, fragment it, and RSS stays at its
   high-water mark. *Fixed:* \`nightshift up\` starts the worker with \`MALLOC_MMAP_THRESHOLD_=131072\`, glibc's own
   starting value made fixed, which turns the adjustment off (\`src/worker/process-env.ts\`; the bench starts its
   worker the same way; \`test/integration/supervisor.test.ts\` reads the worker's environment). Side by side over
   1,600 tasks: growth 98 MB after a full GC without it (RSS − V8 heaps 80 → 164 MB), 32 MB with it (61 → 81 MB);
   65536 with a fixed trim threshold gave 30 MB. Over 5,008 tasks in a full run: 61 MB as sampled and 35 MB after a
   full GC, RSS flat at 243–250 MB from 1,000 tasks to the end, and the worker forks faster with less memory mapped
   (item 3). *Tried before:* capping malloc arenas (\`MALLOC_ARENA_MAX=2\`): no change, since the arenas were not the
   cause.
`;

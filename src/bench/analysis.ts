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
after forced collections. The machine has 2 cores and is shared: the summary table says how its CPU went while each
figure was measured, and figures within about 20% of a target fall on either side from one run to the next. In the run above the host stole
29% of the CPU while throughput was measured and 42% during the metrics figure: the throughput ratio (0.33×) and the
1M-line first call (8.6 s; the naive re-parse slowed from 4.9 to 6.3 s beside it) missed targets that they met in the
full run before it, on a quieter machine (0.59×, 1,337 ms); the code they time did not change in between, apart
from item 5's shared read, which costs a single call nothing. Items 1
to 4 and 7 have been fixed; the numbers quoted for "before" come from full runs the same day.

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
   host steal) and 6.42 against 10.85 (0.59×, the tables above; 0.40× in the run before). What limits it now is CPU (see the summary table's column): the no-op agent costs
   almost nothing, so the figure compares nightshift's bookkeeping with none at all. The worker's CPU profile showed
   39% of its main thread inside \`ChildProcess.spawn\`: the fork of a 300–400 MB process takes 8–9 ms per spawn (1–2
   ms from a small process), and each task still spawns git beside its agent. When the machine's CPU is short,
   nightshift's rate falls and the baseline's barely moves, so the ratio swings between runs. *Next:* spawn git from a
   small helper process instead of the worker, and drop the settings object every child carries (it is most of the
   size of the pipeline's history).
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
   throughput (Little's law): 20–29 ms at 1,700–2,520 requests/s. The API (0.2–0.6 ms of CPU per request, more the
   busier the CPU), the load generator, the worker, the agents and the server share 2 cores, so the p99 follows what
   CPU is left: 84–109 ms in runs before the throughput changes (96 and 97 ms at 2,130–2,520 requests/s in the last
   of them). Since then the pipeline keeps more work in flight and uses more of the machine, and the API gets about a
   third of a core: 580–980 requests/s, p99 200–600 ms in the day's runs. A profile of the API under load showed no
   single cost to remove: the socket writes (16% of its busy time), Express's router (10%), node's HTTP code, garbage
   collection (7%), and a \`stat\` of the metrics file per request (5%). *Fixed:* requests waiting for a read of the
   metrics file share it (50 at once cost one \`stat\`; \`test/unit/metrics-store.test.ts\` checks that each still sees
   every line written before it asked). A fair check of the p99 needs the load generator on another machine.
6. **The pipeline under API load.** The load generator and the API take up to a core between them (see the CPU
   column), and the pipeline is CPU-bound itself. The faster the API answers, the more requests 50 busy connections
   make and the more CPU they take, so the status window costs the pipeline about what the metrics window does
   (metrics never reach Temporal). Temporal and the worker see one status computation a second whatever the load.
   The pipeline's own rate also drifts (it warms up, and items move through their phases together): each load window
   is now compared with the idle windows either side of it, after a warm-up of 100 tasks, not with the median of all
   idle windows. *Tried:* the API at a lower CPU priority than the worker (nice +10). The pipeline then kept 0.83–1.05
   of its idle rate under load, but the API, starved by a pipeline that keeps the CPU busy, answered 108 and 206
   requests/s with p99 1,889 and 818 ms; at nice +5, 481 and 689 requests/s with p99 1,011 and 357 ms, and the
   pipeline at 0.74 and 0.82. With the load generator on the same 2 cores, the p99 target and this one pull opposite
   ways; priority was left equal. The faster worker of item 7 makes this figure harder, not easier: it takes more of
   the CPU when it can, and gives more of it up under load (0.60–1.08 of its idle rate in the day's runs, with the host's share of the CPU
   moving as much as the load did).
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

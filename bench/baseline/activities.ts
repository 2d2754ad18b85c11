import { spawn } from 'node:child_process';

export interface SpawnAgentInput {
  agentFile: string;
  recordFile: string;
  taskType: string;
  taskId: string;
}

/** Spawns the agent, collects its output and resolves when it has exited (no log file, no snapshots). */
async function spawnAgent(input: SpawnAgentInput): Promise<{ exitCode: number | null; outputChars: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [input.agentFile, input.recordFile, input.taskType, input.taskId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let chars = 0;
    child.stdout.on('data', (d: Buffer) => (chars += d.length));
    child.stderr.on('data', (d: Buffer) => (chars += d.length));
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ exitCode, outputChars: chars }));
  });
}

export function createBaselineActivities() {
  return { spawnAgent };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;

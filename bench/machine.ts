import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cores: number;
  model: string;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  loadAverage: number[];
}

/** The CPU model as /proc/cpuinfo names it (os.cpus() as a fallback off Linux). */
function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(now = new Date()): MachineInfo {
  return {
    cores: os.cpus().length,
    model: cpuModel(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: now.toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** The machine's CPU time so far, in clock ticks, from the first line of /proc/stat (null off Linux). */
export interface CpuTicks {
  busy: number;
  idle: number;
  steal: number;
}

export function cpuTicks(stat?: string): CpuTicks | null {
  let text = stat;
  try {
    text ??= readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const m = /^cpu\s+(.+)$/m.exec(text);
  if (!m) return null;
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = m[1].trim().split(/\s+/).map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal ?? 0 };
}

/** Shares (0–1) of the machine's CPU time between two readings. */
export interface CpuShares {
  busy: number;
  idle: number;
  steal: number;
}

/**
 * How the machine's CPU time went between two readings, as shares of it:
 * busy (anything running here, the bench included), idle, and stolen by the
 * hypervisor for other guests. A high steal share means the figures measured
 * then ran on less CPU than the machine has.
 */
export function cpuShares(from: CpuTicks | null, to: CpuTicks | null): CpuShares | null {
  if (!from || !to) return null;
  const busy = to.busy - from.busy;
  const idle = to.idle - from.idle;
  const steal = to.steal - from.steal;
  const total = busy + idle + steal;
  return total > 0 ? { busy: busy / total, idle: idle / total, steal: steal / total } : null;
}

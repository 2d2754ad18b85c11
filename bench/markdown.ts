/** Small Markdown helpers for the sections of docs/PERFORMANCE.md. */

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A number with `digits` decimals, or `—` when it is not a number. */
export function num(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);
}

export function verdict(met: boolean): string {
  return met ? '**met**' : '**missed**';
}

/** The command that produced a section, as a fenced line. */
export function commandLine(command: string): string {
  return `Command: \`${command}\``;
}

/**
 * Agent commands are argv arrays, never shell lines: a template is either a
 * JSON array or words split the way a shell would split them (quotes and
 * backslashes), with no expansion of any kind. Placeholders are replaced
 * inside each word after splitting, so untrusted text can never become
 * another argument, an option or code.
 */
export const PLACEHOLDERS = ['direction', 'task_type', 'task_id', 'model', 'prompt_file'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

export class TemplateError extends Error {
  readonly type = 'TemplateError';
}

export function splitWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])) current += line[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new TemplateError(`unterminated ${quote} quote in agent command`);
  if (inWord) words.push(current);
  return words;
}

export function parseArgvTemplate(template: string): string[] {
  const trimmed = template.trim();
  let argv: unknown;
  if (trimmed.startsWith('[')) {
    try {
      argv = JSON.parse(trimmed);
    } catch (err) {
      throw new TemplateError(`agent command is not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
      throw new TemplateError('agent command JSON must be an array of strings');
    }
  } else {
    argv = splitWords(trimmed);
  }
  const words = argv as string[];
  if (words.length === 0 || words[0] === '') throw new TemplateError('agent command is empty');
  return words;
}

export function renderArgv(template: string[], values: PlaceholderValues): string[] {
  return template.map((word) =>
    word.replace(/\{(\w+)\}/g, (whole, name: string) =>
      (PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] : whole,
    ),
  );
}

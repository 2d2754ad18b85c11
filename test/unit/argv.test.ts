import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseArgvTemplate,
  renderArgv,
  splitWords,
  TemplateError,
  type PlaceholderValues,
} from '../../src/agents/argv';

const values = (direction: string): PlaceholderValues => ({
  direction,
  task_type: 'impl',
  task_id: 'task_0123456789abcdef',
  model: 'sonnet',
  prompt_file: '/tmp/prompt.txt',
});

describe('splitWords', () => {
  test('when words are separated by runs of whitespace, then they are split on it', () => {
    expect(splitWords('  a   b\tc\nd  ')).toEqual(['a', 'b', 'c', 'd']);
  });

  test('when words are quoted, then quotes group words and are removed', () => {
    expect(splitWords(`agent -p "hello world" 'single quoted' mi"x"'ed'`)).toEqual([
      'agent',
      '-p',
      'hello world',
      'single quoted',
      'mixed',
    ]);
  });

  test('when backslashes escape characters outside quotes, then the next character is taken literally', () => {
    expect(splitWords('a\\ b c\\"d \\\\')).toEqual(['a b', 'c"d', '\\']);
  });

  test('when backslashes appear inside double quotes, then only \\" \\\\ \\$ \\` are escapes', () => {
    expect(splitWords('"a\\"b" "c\\\\d" "e\\$f" "g\\nh"')).toEqual(['a"b', 'c\\d', 'e$f', 'g\\nh']);
  });

  test('when backslashes appear inside single quotes, then they are literal', () => {
    expect(splitWords("'a\\b' 'c\\'")).toEqual(['a\\b', 'c\\']);
  });

  test("when a word is an empty quoted string (''), then it yields an empty word", () => {
    expect(splitWords('cmd \'\' "" x')).toEqual(['cmd', '', '', 'x']);
    expect(splitWords("''")).toEqual(['']);
  });

  test('when shell syntax appears, then nothing is expanded or interpreted', () => {
    expect(splitWords('echo $HOME $(id) `id` ; rm | cat > f *')).toEqual([
      'echo',
      '$HOME',
      '$(id)',
      '`id`',
      ';',
      'rm',
      '|',
      'cat',
      '>',
      'f',
      '*',
    ]);
  });

  test('when a quote is not terminated, then a TemplateError is thrown', () => {
    expect(() => splitWords('agent "unterminated')).toThrow(TemplateError);
    expect(() => splitWords("agent 'unterminated")).toThrow(TemplateError);
  });

  test('when the line is empty, then there are no words', () => {
    expect(splitWords('')).toEqual([]);
    expect(splitWords('   ')).toEqual([]);
  });
});

describe('parseArgvTemplate', () => {
  test('when the template is a JSON array of strings, then it is used as argv as-is', () => {
    expect(parseArgvTemplate('  ["my agent", "-p", "{direction}", "a b"]  ')).toEqual([
      'my agent',
      '-p',
      '{direction}',
      'a b',
    ]);
  });

  test('when the template is words, then they are split like a shell would', () => {
    expect(parseArgvTemplate(`agent --prompt "{direction}" --model '{model}'`)).toEqual([
      'agent',
      '--prompt',
      '{direction}',
      '--model',
      '{model}',
    ]);
  });

  test('when a JSON array contains non-strings, then a TemplateError is thrown', () => {
    expect(() => parseArgvTemplate('["agent", 1]')).toThrow(TemplateError);
    expect(() => parseArgvTemplate('["agent", null]')).toThrow(TemplateError);
    expect(() => parseArgvTemplate('[["agent"]]')).toThrow(TemplateError);
  });

  test('when the JSON is invalid, then a TemplateError is thrown', () => {
    expect(() => parseArgvTemplate('["agent",')).toThrow(TemplateError);
  });

  test('when the template is empty (blank, [] or an empty first word), then a TemplateError is thrown', () => {
    expect(() => parseArgvTemplate('')).toThrow(TemplateError);
    expect(() => parseArgvTemplate('   ')).toThrow(TemplateError);
    expect(() => parseArgvTemplate('[]')).toThrow(TemplateError);
    expect(() => parseArgvTemplate('[""]')).toThrow(TemplateError);
    expect(() => parseArgvTemplate("'' -p x")).toThrow(TemplateError);
  });
});

describe('renderArgv', () => {
  const template = ['agent', '-p', '{direction}', '--id', '{task_id}', '--model', '{model}'];

  test.each([
    ['command substitution', '$(touch x)'],
    ['backticks', '`touch x`'],
    ['mixed quotes', `"quotes" and 'single'`],
    ['a command separator', '; rm -rf /'],
    ['newlines', 'line one\nline two\n--model evil'],
    ['a placeholder inside the direction', 'please use {task_id} and {model}'],
    ['replacement patterns', "$& $1 $$ $` $'"],
    ['option-looking text', '--output-format json'],
  ])('when the direction contains %s, then it stays literally inside one argv element', (_label, direction) => {
    const argv = renderArgv(template, values(direction));
    expect(argv).toEqual(['agent', '-p', direction, '--id', 'task_0123456789abcdef', '--model', 'sonnet']);
    expect(argv).toHaveLength(template.length);
  });

  test('when a placeholder is unknown, then it is left as it is', () => {
    expect(renderArgv(['agent', '{unknown}', '{ direction }', '{direction'], values('d'))).toEqual([
      'agent',
      '{unknown}',
      '{ direction }',
      '{direction',
    ]);
  });

  test('when a placeholder is embedded in a word, then it is replaced in place', () => {
    expect(
      renderArgv(['agent', '--msg={direction}', '{task_type}-{task_id}.log', '--pf={prompt_file}'], values('do it')),
    ).toEqual(['agent', '--msg=do it', 'impl-task_0123456789abcdef.log', '--pf=/tmp/prompt.txt']);
  });

  test('when rendering, then the template array is not mutated', () => {
    const t = [...template];
    renderArgv(t, values('x'));
    expect(t).toEqual(template);
  });
});

describe('renderArgv end to end (real process, no shell)', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-argv-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  test('when a hostile direction is rendered and spawned, then it arrives byte-for-byte as one argument and nothing is executed', () => {
    const hostile = `$(touch x) \`touch x\` ; touch x && touch x | touch x > x\n"quotes" and 'single' {task_id} é ✓ \\ $HOME`;
    const template = [
      process.execPath,
      '-e',
      'process.stdout.write(JSON.stringify(process.argv.slice(1)))',
      '--',
      '{direction}',
      '{model}',
    ];
    const argv = renderArgv(template, values(hostile));
    const out = execFileSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8' });
    const received: string[] = JSON.parse(out);
    expect(received).toEqual([hostile, 'sonnet']);
    expect(Buffer.from(received[0], 'utf8').equals(Buffer.from(hostile, 'utf8'))).toBe(true);
    expect(fs.existsSync(path.join(cwd, 'x'))).toBe(false);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  test('when a parsed word template (not JSON) is rendered and spawned, then the direction is still one argument', () => {
    const tpl = parseArgvTemplate(
      `'${process.execPath}' -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' -- {direction}`,
    );
    const hostile = 'it\'s a "test"; touch x';
    const argv = renderArgv(tpl, values(hostile));
    const received: string[] = JSON.parse(execFileSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8' }));
    expect(received).toEqual([hostile]);
    expect(fs.existsSync(path.join(cwd, 'x'))).toBe(false);
  });
});

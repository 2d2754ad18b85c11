import { selectFields, splitJsonFieldsArgv } from '../../src/cli/json-fields';

const commands = new Set(['status', 'logs', 'tasks']);
const other = (t: string) => commands.has(t) || /^task_[0-9a-f]{16}$/.test(t);

describe('--json field selection', () => {
  test('when --json is followed by a field list, then it becomes --json-fields; a command name or a task id stays where it is', () => {
    expect(splitJsonFieldsArgv(['status', '--json', 'pipeline.state,attention'], other)).toEqual([
      'status',
      '--json',
      '--json-fields',
      'pipeline.state,attention',
    ]);
    expect(splitJsonFieldsArgv(['--json=running', 'status'], other)).toEqual([
      '--json',
      '--json-fields',
      'running',
      'status',
    ]);
    expect(splitJsonFieldsArgv(['--json', 'status'], other)).toEqual(['--json', 'status']);
    expect(splitJsonFieldsArgv(['logs', '--json', 'task_0123456789abcdef'], other)).toEqual([
      'logs',
      '--json',
      'task_0123456789abcdef',
    ]);
    expect(splitJsonFieldsArgv(['status', '--json', '--project', 'x'], other)).toEqual([
      'status',
      '--json',
      '--project',
      'x',
    ]);
    expect(splitJsonFieldsArgv(['decide', '--', '--json', 'a'], other)).toEqual(['decide', '--', '--json', 'a']);
  });

  test('when fields are selected, then only they are kept, nested ones inside their parents; an unknown one names the known ones', () => {
    const value = { pipeline: { state: 'running', items: [1], paused: false }, attention: [], total: 3 };
    expect(selectFields(value, null)).toBe(value);
    expect(selectFields(value, ['total', 'pipeline.state', 'pipeline.paused'])).toEqual({
      total: 3,
      pipeline: { state: 'running', paused: false },
    });
    expect(() => selectFields(value, ['pipeline.nope'])).toThrow(
      'unknown JSON field: pipeline.nope (available: state, items, paused)',
    );
    expect(() => selectFields(value, ['total.x'])).toThrow('unknown JSON field: total.x (available: total)');
  });
});

import { judgeRun, NO_CHANGE_PROMPT, type RunFacts } from '../../src/agents/outcome';
import { emptyReport } from '../../src/agents/output/report';

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  argv0: 'claude',
  taskType: 'spec',
  spawnError: null,
  timedOut: false,
  timeoutSeconds: 60,
  exitCode: 0,
  decisionPrompt: null,
  outputChars: 50,
  report: emptyReport(),
  tail: 'did the work',
  changedFiles: true,
  noChange: 'fail',
  credentialEnv: ['ANTHROPIC_API_KEY'],
  ...over,
});

describe('judgeRun', () => {
  test('when the agent exits 0 with output and could act, then the task completes', () => {
    expect(judgeRun(facts()).status).toBe('completed');
  });

  test('when a tool call was refused, then the task fails and names the refused calls', () => {
    const j = judgeRun(facts({ report: { ...emptyReport(), denied: ['Write: {"file_path":"a.txt"}'] } }));
    expect(j.status).toBe('failed');
    expect(j.note).toContain('1 tool call(s) were refused');
    expect(j.note).toContain('Write: {"file_path":"a.txt"}');
  });

  test('when the CLI reports an error result with exit 0, then the task fails', () => {
    const j = judgeRun(facts({ report: { ...emptyReport(), error: 'API Error: 500 overloaded' } }));
    expect(j.status).toBe('failed');
    expect(j.note).toContain('the agent reported an error: API Error: 500 overloaded');
    expect(j.credentialRejected).toBeNull();
  });

  test.each([
    ['Claude Code', 'Invalid API key · Please run /login'],
    [
      'Anthropic body',
      'API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}',
    ],
    [
      'OpenAI body',
      'unexpected status 401 Unauthorized: {"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}',
    ],
    ['litellm', 'litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key'],
  ])(
    'when the model API refused the credential (%s), then the task is held for the credential, naming the variable',
    (_, text) => {
      const j = judgeRun(facts({ exitCode: 1, tail: `starting\n${text}\n` }));
      expect(j.credentialRejected).toContain('ANTHROPIC_API_KEY');
      expect(j.credentialRejected).toContain(text.slice(0, 40));
    },
  );

  test('when a completed run merely mentions 401 in its work, then it is not a refused credential', () => {
    const j = judgeRun(facts({ tail: 'return res.status(401) // unauthorized users' }));
    expect(j.status).toBe('completed');
    expect(j.credentialRejected).toBeNull();
  });

  test('when the agent binary is missing or the argv is too big, then the failure is fatal (no retry changes it)', () => {
    for (const code of ['ENOENT', 'E2BIG', 'EACCES']) {
      const err = Object.assign(new Error(`spawn claude ${code}`), { code });
      const j = judgeRun(facts({ spawnError: err, exitCode: null }));
      expect(j.status).toBe('failed');
      expect(j.fatal).toContain('Agent could not be started: claude');
    }
    const transient = Object.assign(new Error('spawn EAGAIN'), { code: 'EAGAIN' });
    expect(judgeRun(facts({ spawnError: transient })).fatal).toBeNull();
  });

  test('when an impl task changed no file, then by default it fails; decide asks; allow completes', () => {
    expect(judgeRun(facts({ taskType: 'impl', changedFiles: false })).note).toContain('changed no file');
    expect(judgeRun(facts({ taskType: 'impl', changedFiles: false })).status).toBe('failed');
    const decide = judgeRun(facts({ taskType: 'impl', changedFiles: false, noChange: 'decide' }));
    expect(decide.status).toBe('needs_decision');
    expect(decide.decisionPrompt).toBe(NO_CHANGE_PROMPT);
    expect(judgeRun(facts({ taskType: 'impl', changedFiles: false, noChange: 'allow' })).status).toBe('completed');
    // a spec task, or a tree that cannot be told, is not judged by changes
    expect(judgeRun(facts({ taskType: 'spec', changedFiles: false })).status).toBe('completed');
    expect(judgeRun(facts({ taskType: 'impl', changedFiles: null })).status).toBe('completed');
  });

  test('when the output is too short, then the reference note is added', () => {
    const j = judgeRun(facts({ outputChars: 3 }));
    expect(j.status).toBe('failed');
    expect(j.note).toBe(
      '[Pipeline] Marked failed: completed with 3 chars output (expected >10). Possible capture failure or silent crash.',
    );
  });
});

import { workerProcessEnvironment } from '../../src/worker/process-env';

describe('the environment the worker is started with', () => {
  test('when nothing says otherwise, then malloc gets a fixed mmap threshold and the rest is passed on', () => {
    const env = workerProcessEnvironment({ PATH: '/usr/bin', PIPELINE_AGENT: 'demo' });
    expect(env).toEqual({ PATH: '/usr/bin', PIPELINE_AGENT: 'demo', MALLOC_MMAP_THRESHOLD_: '131072' });
  });

  test('when the user set the threshold, as a variable or a glibc tunable, then their setting is kept', () => {
    expect(workerProcessEnvironment({ MALLOC_MMAP_THRESHOLD_: '65536' }).MALLOC_MMAP_THRESHOLD_).toBe('65536');
    const tuned = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=262144' };
    expect(workerProcessEnvironment(tuned)).toEqual(tuned);
  });

  test('when given an environment, then it is not changed in place', () => {
    const input = { PATH: '/bin' };
    workerProcessEnvironment(input);
    expect(input).toEqual({ PATH: '/bin' });
  });
});

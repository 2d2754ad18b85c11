import { workerProcessEnvironment } from '../../src/config';

describe('workerProcessEnvironment', () => {
  test('when MALLOC_ARENA_MAX is not set, then the worker gets two malloc arenas and the rest of the environment unchanged', () => {
    expect(workerProcessEnvironment({ PATH: '/bin', TEMPORAL_ADDRESS: 'x:1' })).toEqual({ PATH: '/bin', TEMPORAL_ADDRESS: 'x:1', MALLOC_ARENA_MAX: '2' });
  });

  test('when the user set MALLOC_ARENA_MAX, then their value wins', () => {
    expect(workerProcessEnvironment({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('8');
  });
});

import { LruMap } from '../../src/util/lru-map';

describe('LruMap', () => {
  test('when more keys than its capacity are set, then the least recently used one is dropped', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now newer than b
    m.set('c', 3);
    expect([m.get('a'), m.get('b'), m.get('c'), m.size]).toEqual([1, undefined, 3, 2]);
  });

  test('when a key is set again, then its value is replaced without growing the map', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('a', 2);
    expect([m.get('a'), m.size]).toEqual([2, 1]);
  });
});

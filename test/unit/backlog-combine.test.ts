import { combineBacklogs, metaEvery } from '../../src/backlog/combine';

const seq = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('combineBacklogs', () => {
  test('when the ratio is 0.2, then the order is P P P P M P P P P M …', () => {
    expect(combineBacklogs(seq('P', 8), seq('M', 2), 0.2)).toEqual([
      'P1',
      'P2',
      'P3',
      'P4',
      'M1',
      'P5',
      'P6',
      'P7',
      'P8',
      'M2',
    ]);
  });

  test('when the ratio is 0.25, then the order is P P P M …', () => {
    expect(combineBacklogs(seq('P', 6), seq('M', 2), 0.25)).toEqual(['P1', 'P2', 'P3', 'M1', 'P4', 'P5', 'P6', 'M2']);
  });

  test('when the ratio is 0.5, then product and meta alternate starting with product', () => {
    expect(combineBacklogs(seq('P', 3), seq('M', 3), 0.5)).toEqual(['P1', 'M1', 'P2', 'M2', 'P3', 'M3']);
  });

  test('when the ratio is 0, then no meta item appears even if meta items exist', () => {
    expect(combineBacklogs(seq('P', 3), seq('M', 3), 0)).toEqual(['P1', 'P2', 'P3']);
    expect(combineBacklogs([], seq('M', 3), 0)).toEqual([]);
  });

  test('when the ratio is negative or NaN, then meta is disabled', () => {
    expect(combineBacklogs(seq('P', 2), seq('M', 2), -0.5)).toEqual(['P1', 'P2']);
    expect(combineBacklogs(seq('P', 2), seq('M', 2), Number.NaN)).toEqual(['P1', 'P2']);
  });

  test('when the ratio is 1 (n = 1), then every slot is a meta slot until meta runs out, then product follows', () => {
    expect(combineBacklogs(seq('P', 2), seq('M', 2), 1)).toEqual(['M1', 'M2', 'P1', 'P2']);
  });

  test('when meta runs out, then the remaining product items continue in order', () => {
    expect(combineBacklogs(seq('P', 12), seq('M', 1), 0.2)).toEqual([
      'P1',
      'P2',
      'P3',
      'P4',
      'M1',
      'P5',
      'P6',
      'P7',
      'P8',
      'P9',
      'P10',
      'P11',
      'P12',
    ]);
  });

  test('when product runs out, then the remaining meta items continue in order', () => {
    expect(combineBacklogs(seq('P', 2), seq('M', 3), 0.2)).toEqual(['P1', 'P2', 'M1', 'M2', 'M3']);
    expect(combineBacklogs(seq('P', 5), seq('M', 3), 0.2)).toEqual(['P1', 'P2', 'P3', 'P4', 'M1', 'P5', 'M2', 'M3']);
  });

  test('when the product list is empty, then all meta items are returned in order', () => {
    expect(combineBacklogs([], seq('M', 3), 0.2)).toEqual(['M1', 'M2', 'M3']);
  });

  test('when both lists are empty, then the result is empty', () => {
    expect(combineBacklogs([], [], 0.2)).toEqual([]);
  });

  test('when combining, then every item appears exactly once and the inputs are not mutated', () => {
    const p = seq('P', 23);
    const m = seq('M', 7);
    const out = combineBacklogs(p, m, 0.3);
    expect(out).toHaveLength(30);
    expect([...out].sort()).toEqual([...p, ...m].sort());
    expect(p).toEqual(seq('P', 23));
    expect(m).toEqual(seq('M', 7));
  });
});

describe('metaEvery', () => {
  test.each([
    [0.2, 5],
    [0.25, 4],
    [0.3, 3],
    [0.5, 2],
    [0.4, 2],
    [0.35, 2],
    [0.6, 1],
    [1, 1],
    [1.5, 1],
  ])('when the ratio is %p, then every %p-th slot is meta', (ratio, n) => {
    expect(metaEvery(ratio)).toBe(n);
  });

  test('when the ratio is 0 or below, then meta is disabled (null)', () => {
    expect(metaEvery(0)).toBeNull();
    expect(metaEvery(-1)).toBeNull();
    expect(metaEvery(Number.NaN)).toBeNull();
  });
});

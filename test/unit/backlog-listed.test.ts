import { listedItems, MAX_LISTED_ITEMS } from '../../src/activities/backlog';
import type { BacklogItem, ItemOutcomeRecord } from '../../src/shared/contracts/pipeline';

const item = (n: number): BacklogItem => ({
  key: `item-${n}-0123456789`,
  text: `Item ${n}`,
  source: 'product',
  file: 'b.md',
  line: n,
});
const outcome = (key: string, o: ItemOutcomeRecord['outcome']): ItemOutcomeRecord =>
  ({ key, outcome: o, position: null, at: '2026-12-07T00:00:00.000Z', reason: '' }) as ItemOutcomeRecord;

describe('listedItems (what one backlog read carries)', () => {
  test('when the backlog is short, then every item is listed and nothing is counted apart', () => {
    const items = Array.from({ length: MAX_LISTED_ITEMS }, (_, n) => item(n));
    expect(listedItems(items, {})).toEqual({ listed: items });
  });

  test('when the backlog is long, then its first unfinished items in run order are listed and the rest counted by state', () => {
    const items = Array.from({ length: 10_000 }, (_, n) => item(n));
    const outcomes = {
      [items[0].key]: outcome(items[0].key, 'passed'),
      [items[1].key]: outcome(items[1].key, 'failed'),
      [items[2].key]: outcome(items[2].key, 'stopped'),
      [items[9_999].key]: outcome(items[9_999].key, 'passed'),
    };
    const { listed, unlisted } = listedItems(items, outcomes);
    expect(listed).toHaveLength(MAX_LISTED_ITEMS);
    expect(listed[0]).toBe(items[2]); // a stopped item is unfinished: it resumes first
    expect(listed.at(-1)).toBe(items[MAX_LISTED_ITEMS + 1]);
    expect(unlisted).toEqual({ passed: 2, failed: 1, pending: 10_000 - MAX_LISTED_ITEMS - 3 });
  });
});

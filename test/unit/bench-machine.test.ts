import { cpuShares, cpuTicks } from '../../bench/machine';

describe('bench: CPU shares from /proc/stat', () => {
  const stat = (user: number, idle: number, steal: number) =>
    `cpu  ${user} 10 40 ${idle} 5 0 5 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1\n`;

  test('when two readings are given, then busy, idle and stolen are shares of all the time between them', () => {
    const from = cpuTicks(stat(100, 1000, 0));
    const to = cpuTicks(stat(400, 1500, 200));
    expect(from).toEqual({ busy: 155, idle: 1005, steal: 0 });
    const shares = cpuShares(from, to)!;
    expect(shares.busy).toBeCloseTo(300 / 1000);
    expect(shares.idle).toBeCloseTo(500 / 1000);
    expect(shares.steal).toBeCloseTo(200 / 1000);
  });

  test('when there is no usable reading, then there are no shares', () => {
    expect(cpuTicks('no cpu line here')).toBeNull();
    expect(cpuShares(null, cpuTicks(stat(1, 1, 1)))).toBeNull();
    const same = cpuTicks(stat(1, 1, 1));
    expect(cpuShares(same, same)).toBeNull();
  });
});

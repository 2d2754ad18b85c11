import { TailReader } from '../util/tail-reader';
import { aggregate, parseMetricLine, type MetricRecord, type MetricsAggregates } from './aggregate';

/**
 * Incremental view of the metrics store for the API: each call parses only the
 * lines appended since the previous one, so repeated requests never re-parse
 * the whole file.
 */
export class MetricsStore {
  private readonly reader: TailReader;
  private records: MetricRecord[] = [];
  private skipped = 0;

  constructor(readonly file: string) {
    this.reader = new TailReader(file);
  }

  private async refresh(): Promise<void> {
    const fresh: MetricRecord[] = [];
    let skipped = 0;
    const { reset } = await this.reader.read((line) => {
      const r = parseMetricLine(line);
      if (r === null) skipped++;
      else if (r !== undefined) fresh.push(r);
    });
    if (reset) {
      this.records = [];
      this.skipped = 0;
    }
    for (const r of fresh) this.records.push(r);
    this.skipped += skipped;
  }

  async aggregates(windowDays = 7, now = Date.now()): Promise<MetricsAggregates> {
    await this.refresh();
    return aggregate(this.records, { now, windowDays, skipped: this.skipped });
  }
}

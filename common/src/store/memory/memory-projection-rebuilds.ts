import {
  decideRequest,
  type PartitionGeneration,
  type ProjectionRebuilds,
  type RebuildReport,
  type RebuildRequest,
} from '../projection-rebuilds';
import type { OutageSwitch } from './outage-switch';

/** The rebuild asked for last and the owners' reports, kept here; generations by the snapshots. */
export class InMemoryProjectionRebuilds implements ProjectionRebuilds {
  private last: RebuildRequest | null = null;
  private readonly reports = new Map<number, RebuildReport>();

  constructor(
    private readonly outage: OutageSwitch,
    private readonly partitionCount: number,
    private readonly generationOf: (partition: number) => number,
  ) {}

  async request(id: string, now: Date) {
    this.outage.check('request a rebuild');
    const decided = decideRequest(this.last, this.current(), id, now);
    this.last = decided.rebuild;
    return decided;
  }

  async latest(): Promise<RebuildRequest | null> {
    this.outage.check('read the latest rebuild');
    return this.last;
  }

  async partitions(): Promise<PartitionGeneration[]> {
    this.outage.check('read the partitions’ generations');
    return this.current();
  }

  async report(partition: number, report: RebuildReport): Promise<void> {
    this.outage.check('report a rebuild');
    this.reports.set(partition, { ...report });
  }

  private current(): PartitionGeneration[] {
    return Array.from({ length: this.partitionCount }, (_, partition) => ({
      partition,
      generation: this.generationOf(partition),
      rebuild: this.reports.get(partition) ?? null,
    }));
  }
}

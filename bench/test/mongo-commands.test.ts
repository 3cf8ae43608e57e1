import { costsBetween, sumCosts } from '../src/counters';
import { mongoCommandsTable } from '../src/report';

/** A gateway's /metrics as prom-client writes it, with `writes` POSTs answered and these counts. */
function scrape(writes: number, commands: Record<string, number>, waits: Record<string, number>) {
  const line = (metric: string, key: string, count: number) => {
    const [collection, command] = key.split(' ');
    return `${metric}{collection="${collection}",command="${command}"} ${count}`;
  };
  return [
    '# HELP http_request_duration_seconds Duration of HTTP requests',
    `http_request_duration_seconds_count{method="POST",route="/api/user",status="201"} ${writes}`,
    '# TYPE mongodb_commands_total counter',
    ...Object.entries(commands).map(([key, count]) => line('mongodb_commands_total', key, count)),
    ...Object.entries(waits).map(([key, count]) =>
      line('mongodb_majority_waits_total', key, count),
    ),
  ].join('\n');
}

describe('round trips per write, from the gateway’s MongoDB command counters', () => {
  const before = scrape(10, { 'Events insert': 10, 'Users find': 4 }, { 'Events insert': 10 });
  const after = scrape(
    30,
    { 'Events insert': 10, 'Users find': 4, '- bulkWrite': 20, '- commitTransaction': 20 },
    { 'Events insert': 10, '- commitTransaction': 20 },
  );

  it('counts each command sent during the run, and the majority waits', () => {
    expect(costsBetween(before, after)).toMatchObject({
      writes: 20,
      mongoCommands: 40,
      mongoCommandsByName: { '- bulkWrite': 20, '- commitTransaction': 20 },
      majorityWaits: 20,
    });
  });

  it('prints a row per write with each command per write and the totals', () => {
    const costs = sumCosts([costsBetween(before, after)]);
    const table = mongoCommandsTable([{ kind: 'create', costs }])!;
    expect(table.split('\n').slice(-3)).toEqual([
      '| write | `- bulkWrite` | `- commitTransaction` | commands per write | majority waits per write |',
      '| --- | ---: | ---: | ---: | ---: |',
      '| create | 1.00 | 1.00 | 2.00 | 1.00 |',
    ]);
  });

  it('prints nothing on the in-memory store, which sends no command', () => {
    const memory = costsBetween(scrape(0, {}, {}), scrape(20, {}, {}));
    expect(mongoCommandsTable([{ kind: 'create', costs: memory }])).toBeNull();
  });
});

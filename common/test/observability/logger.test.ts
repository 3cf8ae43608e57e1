import { createLogger, createMetricsRegistry } from '@user-service/common';
import { PassThrough } from 'node:stream';

function capture(level: string) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  const logger = createLogger({ service: 'gateway', level, fields: { aggregator: 2 }, stream });
  return { logger, lines };
}

describe('logger', () => {
  it('writes one JSON object per line with time, level, service and fixed fields', () => {
    const { logger, lines } = capture('info');
    logger.info('request served', { requestId: 'r-1', status: 200 });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'request served',
        service: 'gateway',
        aggregator: 2,
        requestId: 'r-1',
        status: 200,
        timestamp: expect.any(String),
      }),
    ]);
  });

  it('masks email addresses above debug level, wherever they appear', () => {
    const { logger, lines } = capture('debug');
    logger.info('created ada@example.com', { email: 'ada@example.com' });
    logger.debug('created ada@example.com');
    expect(JSON.stringify(lines[0])).not.toContain('ada@example.com');
    expect(lines[0]).toMatchObject({ message: 'created [email]', email: '[email]' });
    expect(lines[1]).toMatchObject({ message: 'created ada@example.com' });
  });
});

describe('metrics registry', () => {
  it('gives each app its own registry with process metrics labelled by service', async () => {
    const gateway = createMetricsRegistry('gateway');
    const aggregator = createMetricsRegistry('aggregator', { aggregator: '1' });
    expect(await gateway.metrics()).toMatch(/process_cpu_user_seconds_total\{service="gateway"\}/);
    expect(await aggregator.metrics()).toMatch(/process_cpu_user_seconds_total\{service="aggregator",aggregator="1"\}/);
    expect(await gateway.metrics()).not.toContain('aggregator="1"');
  });
});

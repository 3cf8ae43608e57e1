import {
  createLogger,
  createMetricsRegistry,
  errorFields,
} from '@user-service/common/observability';
import { StoreUnavailableError } from '@user-service/common/store';
import { MongoServerError } from 'mongodb';
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

  it('masks email addresses at every level, debug included, wherever they appear', () => {
    const { logger, lines } = capture('debug');
    logger.info('created ada@example.com', { email: 'ada@example.com' });
    logger.debug('created ada@example.com');
    expect(JSON.stringify(lines)).not.toContain('ada@example.com');
    expect(lines[0]).toMatchObject({ message: 'created [email]', email: '[email]' });
    expect(lines[1]).toMatchObject({ level: 'debug', message: 'created [email]' });
  });
});

describe('metrics registry', () => {
  it('gives each app its own registry, labelled only with what tells replicas of a job apart', async () => {
    const gateway = createMetricsRegistry();
    const aggregator = createMetricsRegistry({ aggregator: '1' });
    expect(await gateway.metrics()).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(await aggregator.metrics()).toMatch(
      /^process_cpu_user_seconds_total\{aggregator="1"\} \d/m,
    );
    expect(await gateway.metrics()).not.toContain('aggregator="1"');
    // Prometheus adds `job` and `instance` to every series; a `service` of ours would repeat `job`.
    expect(await aggregator.metrics()).not.toContain('service=');
  });
});

describe('errorFields in a log line', () => {
  it('carries the driver error behind a store failure: name, code, codeName, labels and message', () => {
    const { logger, lines } = capture('info');
    const cause = new MongoServerError({
      code: 13,
      codeName: 'Unauthorized',
      errmsg: 'command insert requires authentication',
    });
    cause.addErrorLabel('RetryableWriteError');
    logger.warn('subscription failed', {
      error: errorFields(new StoreUnavailableError('MongoDB failed to append', { cause })),
    });

    expect(lines[0]?.error).toEqual({
      name: 'StoreUnavailableError',
      message: 'MongoDB failed to append',
      cause: {
        name: 'MongoServerError',
        message: 'command insert requires authentication',
        code: 13,
        codeName: 'Unauthorized',
        labels: ['RetryableWriteError'],
      },
    });
  });

  it('masks email addresses in nested fields, and leaves the caller’s object alone', () => {
    const { logger, lines } = capture('info');
    const error = errorFields(
      new Error('outer', { cause: new Error('duplicate key { email: "ann@example.com" }') }),
    );
    logger.error('failed', { error });

    expect(JSON.stringify(lines[0])).not.toContain('ann@example.com');
    expect(JSON.stringify(lines[0])).toContain('[email]');
    expect(error.cause?.message).toContain('ann@example.com');
  });
});

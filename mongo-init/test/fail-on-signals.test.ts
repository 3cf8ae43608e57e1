import { createLogger } from '@user-service/common/observability';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { failOnSignals, type SignalledProcess } from '../src/fail-on-signals';

/** Stands in for `process`: signals are emitted by the test, and exits are recorded instead of taken. */
class FakeProcess extends EventEmitter implements SignalledProcess {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

function capturedLogger() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    ),
  );
  return { log: createLogger({ service: 'mongo-init', stream }), lines };
}

describe('mongo-init on a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    'ends at once on %s with exit code %d and one line saying it did not finish',
    async (signal, code) => {
      const target = new FakeProcess();
      const { log, lines } = capturedLogger();
      failOnSignals(log, target);

      target.emit(signal);
      await new Promise(setImmediate);

      expect(target.exits).toEqual([code]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'error',
        message: expect.stringContaining(`stopped by ${signal} before it finished`),
      });
    },
  );
});

import { Readiness } from '../src/readiness';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('readiness of an aggregator', () => {
  it('is restoring until the subscription first confirms it is caught up', () => {
    const time = clock();
    const readiness = new Readiness(500, time.now);
    expect(readiness.report()).toEqual({ ready: false, reason: 'restoring' });
    readiness.confirmed(new Date(time.now()));
    expect(readiness.caughtUp()).toBe(true);
    expect(readiness.report()).toEqual({ ready: true });
    expect(readiness.isReady).toBe(true);
  });

  it('tells only the first catch-up apart, which ends replaying', () => {
    const readiness = new Readiness(500, clock().now);
    expect(readiness.hasCaughtUp).toBe(false);
    expect(readiness.caughtUp()).toBe(true);
    expect(readiness.caughtUp()).toBe(false);
    expect(readiness.hasCaughtUp).toBe(true);
  });

  it('is behind once the last confirmation is older than it may lag, and ready again on the next', () => {
    const time = clock();
    const readiness = new Readiness(500, time.now);
    readiness.confirmed(new Date(time.now()));
    readiness.caughtUp();
    time.advance(500);
    expect(readiness.report()).toEqual({ ready: true });
    time.advance(1);
    expect(readiness.report()).toEqual({ ready: false, reason: 'behind' });
    expect(readiness.lagMs()).toBe(501);
    readiness.confirmed(new Date(time.now() - 100));
    expect(readiness.report()).toEqual({ ready: true });
    expect(readiness.lagMs()).toBe(100);
  });

  it('is reconciling after history was lost, until the next confirmation', () => {
    const time = clock();
    const readiness = new Readiness(500, time.now);
    readiness.confirmed(new Date(time.now()));
    readiness.caughtUp();
    readiness.historyLost();
    expect(readiness.report()).toEqual({ ready: false, reason: 'reconciling' });
    readiness.confirmed(new Date(time.now()));
    expect(readiness.report()).toEqual({ ready: true });
  });

  it('stays not ready for good once the subscription ended, saying why', () => {
    const time = clock();
    const readiness = new Readiness(500, time.now);
    readiness.caughtUp();
    readiness.ended('handler-failed');
    readiness.confirmed(new Date(time.now()));
    expect(readiness.report()).toEqual({ ready: false, reason: 'handler-failed' });
  });

  it('says stopped above every other reason once stopped', () => {
    const readiness = new Readiness(500, clock().now);
    readiness.ended('handler-failed');
    readiness.stop();
    expect(readiness.isStopped).toBe(true);
    expect(readiness.report()).toEqual({ ready: false, reason: 'stopped' });
  });

  describe('its log', () => {
    afterEach(() => jest.useRealTimers());

    it('tells each change after the first catch-up once, with the reason and the lag', () => {
      jest.useFakeTimers();
      const time = clock();
      const lines: unknown[] = [];
      const readiness = new Readiness(500, time.now);
      readiness.confirmed(new Date(time.now()));
      readiness.caughtUp();
      readiness.logChanges(
        {
          info: (message) => lines.push({ level: 'info', message }),
          warn: (message, fields) => lines.push({ level: 'warn', message, ...fields }),
        },
        1000,
      );
      time.advance(600);
      jest.advanceTimersByTime(1000);
      jest.advanceTimersByTime(1000);
      readiness.confirmed(new Date(time.now()));
      jest.advanceTimersByTime(1000);
      readiness.stop();
      jest.advanceTimersByTime(5000);
      expect(lines).toEqual([
        { level: 'warn', message: 'not ready', reason: 'behind', lagSeconds: 0.6 },
        { level: 'info', message: 'ready again' },
      ]);
    });
  });
});

import { watchDownload, type WatchdogLimits } from '../src/download-watchdog';

const limits: WatchdogLimits = {
  firstBytesWithinMs: 12_000,
  finishWithinMs: 15 * 60_000,
  checkEveryMs: 250,
};

describe('the download watchdog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives up on a download that writes nothing, saying so', () => {
    const reasons: string[] = [];
    watchDownload(
      () => 0,
      limits,
      (reason) => reasons.push(reason),
    );

    jest.advanceTimersByTime(limits.firstBytesWithinMs - 1);
    expect(reasons).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(reasons).toEqual(['no bytes arrived within 12 s']);
    jest.advanceTimersByTime(limits.finishWithinMs);
    expect(reasons).toHaveLength(1);
  });

  it('lets a download that is writing run past the first-bytes limit', () => {
    let bytes = 0;
    const reasons: string[] = [];
    watchDownload(
      () => bytes,
      limits,
      (reason) => reasons.push(reason),
    );

    jest.advanceTimersByTime(5_000);
    bytes = 1_000_000;
    jest.advanceTimersByTime(10 * 60_000); // long, and even with no further bytes for minutes
    expect(reasons).toEqual([]);
  });

  it('does not mistake files already in the cache for progress', () => {
    const reasons: string[] = [];
    watchDownload(
      () => 90_000_000,
      limits,
      (reason) => reasons.push(reason),
    );

    jest.advanceTimersByTime(limits.firstBytesWithinMs);
    expect(reasons).toEqual(['no bytes arrived within 12 s']);
  });

  it('counts bytes that land just before the first-bytes limit', () => {
    let bytes = 0;
    const reasons: string[] = [];
    watchDownload(
      () => bytes,
      { ...limits, checkEveryMs: 5_000 },
      (reason) => reasons.push(reason),
    );

    jest.advanceTimersByTime(limits.firstBytesWithinMs - 1);
    bytes = 10; // after the last check, before the limit
    jest.advanceTimersByTime(1);
    expect(reasons).toEqual([]);
  });

  it('gives up on a download that is still running at the overall limit', () => {
    let bytes = 0;
    const reasons: string[] = [];
    watchDownload(
      () => (bytes += 1_000),
      limits,
      (reason) => reasons.push(reason),
    );

    jest.advanceTimersByTime(limits.finishWithinMs);
    expect(reasons).toEqual(['it did not finish within 15 min']);
  });

  it('says nothing once stopped', () => {
    const reasons: string[] = [];
    const stop = watchDownload(
      () => 0,
      limits,
      (reason) => reasons.push(reason),
    );

    stop();
    jest.advanceTimersByTime(limits.finishWithinMs);
    expect(reasons).toEqual([]);
  });
});

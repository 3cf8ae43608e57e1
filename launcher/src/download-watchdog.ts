export interface WatchdogLimits {
  /** Without network a download never writes a byte; this is how long that may take to show. */
  readonly firstBytesWithinMs: number;
  /** Once bytes arrive a slow line may take long, but not for ever. */
  readonly finishWithinMs: number;
  readonly checkEveryMs: number;
}

export const DOWNLOAD_LIMITS: WatchdogLimits = {
  firstBytesWithinMs: 12_000,
  finishWithinMs: 15 * 60_000,
  checkEveryMs: 250,
};

/**
 * Watches a download from outside, by the bytes it has put on disk, and calls giveUp once with
 * the reason when it is hopeless: nothing written within firstBytesWithinMs, or not finished
 * within finishWithinMs. Returns the function that stops watching.
 */
export function watchDownload(
  bytesOnDisk: () => number,
  limits: WatchdogLimits,
  giveUp: (reason: string) => void,
): () => void {
  const before = bytesOnDisk();
  const stop = () => {
    clearInterval(poll);
    clearTimeout(noBytes);
    clearTimeout(tooLong);
  };
  const poll = setInterval(() => {
    if (bytesOnDisk() === before) return;
    // Bytes are arriving: from now on only the overall limit applies.
    clearInterval(poll);
    clearTimeout(noBytes);
  }, limits.checkEveryMs);
  const noBytes = setTimeout(() => {
    clearInterval(poll);
    // Bytes may have landed since the last check.
    if (bytesOnDisk() !== before) return;
    clearTimeout(tooLong);
    giveUp(`no bytes arrived within ${duration(limits.firstBytesWithinMs)}`);
  }, limits.firstBytesWithinMs);
  const tooLong = setTimeout(() => {
    stop();
    giveUp(`it did not finish within ${duration(limits.finishWithinMs)}`);
  }, limits.finishWithinMs);
  return stop;
}

function duration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${Math.round(ms / 100) / 10} s`;
}

import type { StoreLayout } from '@user-service/common/store';
import type { RequestHandler } from 'express';

/**
 * The store's layout as this gateway knows it: read at start, or, when the store could not be
 * reached then, by the first API request that finds it reachable. Until then every API request
 * is answered 503 store-unavailable, as it would be anyway without the store: no user's partition
 * is ever computed from anything but the store's own count.
 */
export class KnownLayout {
  private known: StoreLayout | null = null;
  private reading: Promise<StoreLayout> | null = null;

  constructor(private readonly read: () => Promise<StoreLayout>) {}

  /** The layout; throws when it was never read (a request runs only after `ensure`). */
  get current(): StoreLayout {
    if (!this.known) throw new Error('the store’s layout is not known yet');
    return this.known;
  }

  get isKnown(): boolean {
    return this.known !== null;
  }

  /** Reads the layout unless known; throws the store's error when it cannot be reached. */
  async ensure(): Promise<StoreLayout> {
    if (this.known) return this.known;
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    this.known = await this.reading;
    return this.known;
  }

  /** Lets a request through once the layout is known, reading it first if need be. */
  readonly required: RequestHandler = (_req, _res, next) => {
    if (this.known) next();
    else this.ensure().then(() => next(), next);
  };
}

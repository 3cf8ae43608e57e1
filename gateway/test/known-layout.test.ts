import { StoreUnavailableError } from '@user-service/common/store';
import { KnownLayout } from '../src/known-layout';

const layout = { partitions: 12, storeId: 'a' };

describe('the store layout a gateway knows', () => {
  it('is read once, then answered from memory', async () => {
    let reads = 0;
    const known = new KnownLayout(async () => {
      reads += 1;
      return layout;
    });
    await Promise.all([known.ensure(), known.ensure()]);
    await known.ensure();
    expect(known.current).toEqual(layout);
    expect(reads).toBe(1);
  });

  it('is read again by the next request after the store could not be reached', async () => {
    let down = true;
    const known = new KnownLayout(async () => {
      if (down) throw new StoreUnavailableError('down');
      return layout;
    });
    await expect(known.ensure()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(known.isKnown).toBe(false);
    expect(() => known.current).toThrow(/not known yet/);
    down = false;
    const passed = await new Promise<unknown>((resolve) =>
      known.required({} as never, {} as never, resolve),
    );
    expect(passed).toBeUndefined();
    expect(known.current).toEqual(layout);
  });
});

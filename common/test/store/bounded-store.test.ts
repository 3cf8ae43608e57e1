import {
  boundedStore,
  type Store,
  StoreUnavailableError,
  wrapStore,
} from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import { created, eventsFor, fieldsFor } from '@user-service/test-support';

/** A store whose appends never settle, as when the majority stops acknowledging. */
function withHangingAppends(store: Store): Store {
  return { ...store, events: { ...store.events, append: () => new Promise(() => undefined) } };
}

describe('bounded store', () => {
  afterEach(() => jest.useRealTimers());

  it('fails a call that has not settled within the time limit with StoreUnavailableError, saying the outcome is unknown', async () => {
    jest.useFakeTimers();
    const store = boundedStore(withHangingAppends(new InMemoryStore()), 2000);
    const appending = store.events.append('ada', 0, eventsFor('ada', 0, created(fieldsFor(1))));
    const outcome = appending.catch((error: unknown) => error);

    await jest.advanceTimersByTimeAsync(1999);
    await expect(Promise.race([outcome, Promise.resolve('pending')])).resolves.toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/append.*outcome is unknown/);
  });

  it('bounds the data key calls too', async () => {
    jest.useFakeTimers();
    // As when the majority stops acknowledging the delete.
    const hanging = wrapStore(new InMemoryStore(), {
      dataKeys: { destroy: () => new Promise(() => undefined) },
    });
    const outcome = boundedStore(hanging, 2000)
      .dataKeys.destroy('ada')
      .catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(2000);
    const error = await outcome;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/destroy_data_key.*outcome is unknown/);
  });

  it('passes answers and errors of calls that settle in time through unchanged', async () => {
    const inner = new InMemoryStore();
    const store = boundedStore(inner, 2000);
    const events = eventsFor('ada', 0, created(fieldsFor(1)));
    expect(await store.events.append('ada', 0, events)).toEqual({
      outcome: 'appended',
      position: '1',
    });
    expect(await store.events.readUserEvents('ada')).toEqual(events);
    const key = { keyId: 'k1', masterKeyId: 'm1', wrapped: 'w1' };
    expect(await store.dataKeys.getOrCreate('ada', key)).toEqual(key);
    expect(await store.dataKeys.get(['ada'])).toEqual(new Map([['ada', key]]));
    inner.outage.setDown(true);
    await expect(store.dataKeys.get(['ada'])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toThrow(/injected fault/);
  });
});

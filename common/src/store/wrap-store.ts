import type { DataKeyStore } from './data-key-store';
import type { EventStore } from './event-store';
import type { IdempotencyStore } from './idempotency-store';
import type { PartitionLeases } from './partition-leases';
import type { ProjectionRebuilds } from './projection-rebuilds';
import type { SnapshotStore } from './snapshot-store';
import type { Store } from './store';

/** The members a decorator replaces; everything it leaves out passes straight through. */
export interface StoreOverrides {
  readonly events?: Partial<EventStore>;
  readonly snapshots?: Partial<SnapshotStore>;
  readonly idempotency?: Partial<IdempotencyStore>;
  readonly dataKeys?: Partial<DataKeyStore>;
  readonly leases?: Partial<PartitionLeases>;
  readonly rebuilds?: Partial<ProjectionRebuilds>;
  readonly layout?: Store['layout'];
  readonly ping?: Store['ping'];
  readonly close?: Store['close'];
}

/**
 * The same store with some of its methods replaced, so that a decorator (counting, bounding,
 * injecting faults) writes only what it changes. The inner store's members are looked up at each
 * call, not once here, so a store that swaps them (a getter) is followed.
 */
export function wrapStore(store: Store, overrides: StoreOverrides): Store {
  const { events = {}, snapshots = {}, idempotency = {}, dataKeys = {} } = overrides;
  const { leases = {}, rebuilds = {} } = overrides;
  return {
    events: {
      append: events.append ?? ((...args) => store.events.append(...args)),
      readUser: events.readUser ?? ((...args) => store.events.readUser(...args)),
      readEvent: events.readEvent ?? ((...args) => store.events.readEvent(...args)),
      readUserEvents: events.readUserEvents ?? ((...args) => store.events.readUserEvents(...args)),
      readUserHistory:
        events.readUserHistory ?? ((...args) => store.events.readUserHistory(...args)),
      countEventsByDay:
        events.countEventsByDay ?? ((...args) => store.events.countEventsByDay(...args)),
      subscribe: events.subscribe ?? ((...args) => store.events.subscribe(...args)),
      commitPositionOf:
        events.commitPositionOf ?? ((...args) => store.events.commitPositionOf(...args)),
      comparePositions:
        events.comparePositions ?? ((...args) => store.events.comparePositions(...args)),
    },
    snapshots: {
      save: snapshots.save ?? ((...args) => store.snapshots.save(...args)),
      load: snapshots.load ?? ((...args) => store.snapshots.load(...args)),
      loadUser: snapshots.loadUser ?? ((...args) => store.snapshots.loadUser(...args)),
      listUsers: snapshots.listUsers ?? ((...args) => store.snapshots.listUsers(...args)),
      countUsersByGroup:
        snapshots.countUsersByGroup ?? ((...args) => store.snapshots.countUsersByGroup(...args)),
    },
    idempotency: {
      begin: idempotency.begin ?? ((...args) => store.idempotency.begin(...args)),
      finish: idempotency.finish ?? ((...args) => store.idempotency.finish(...args)),
      abandon: idempotency.abandon ?? ((...args) => store.idempotency.abandon(...args)),
    },
    dataKeys: {
      getOrCreate: dataKeys.getOrCreate ?? ((...args) => store.dataKeys.getOrCreate(...args)),
      get: dataKeys.get ?? ((...args) => store.dataKeys.get(...args)),
      destroy: dataKeys.destroy ?? ((...args) => store.dataKeys.destroy(...args)),
      wrappedOtherwise:
        dataKeys.wrappedOtherwise ?? ((...args) => store.dataKeys.wrappedOtherwise(...args)),
      rewrap: dataKeys.rewrap ?? ((...args) => store.dataKeys.rewrap(...args)),
    },
    leases: {
      heartbeat: leases.heartbeat ?? ((...args) => store.leases.heartbeat(...args)),
      leave: leases.leave ?? ((...args) => store.leases.leave(...args)),
      current: leases.current ?? ((...args) => store.leases.current(...args)),
      acquire: leases.acquire ?? ((...args) => store.leases.acquire(...args)),
      renew: leases.renew ?? ((...args) => store.leases.renew(...args)),
      release: leases.release ?? ((...args) => store.leases.release(...args)),
    },
    rebuilds: {
      request: rebuilds.request ?? ((...args) => store.rebuilds.request(...args)),
      latest: rebuilds.latest ?? (() => store.rebuilds.latest()),
      partitions: rebuilds.partitions ?? (() => store.rebuilds.partitions()),
      report: rebuilds.report ?? ((...args) => store.rebuilds.report(...args)),
    },
    layout: overrides.layout ?? (() => store.layout()),
    ping: overrides.ping ?? (() => store.ping()),
    close: overrides.close ?? (() => store.close()),
  };
}

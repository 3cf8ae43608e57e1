import type { Store } from './store';
import { wrapStore } from './wrap-store';

export type StoreOperation =
  | 'append'
  | 'read_user'
  | 'read_event'
  | 'read_user_events'
  | 'read_user_history'
  | 'count_events_by_day'
  | 'save_snapshot'
  | 'load_snapshot'
  | 'load_user_snapshot'
  | 'list_users'
  | 'count_users_by_group'
  | 'begin_idempotent'
  | 'finish_idempotent'
  | 'abandon_idempotent'
  | 'get_or_create_data_key'
  | 'get_data_keys'
  | 'destroy_data_key'
  | 'list_data_keys'
  | 'rewrap_data_key'
  | 'heartbeat'
  | 'leave'
  | 'read_leases'
  | 'acquire_lease'
  | 'renew_leases'
  | 'release_lease'
  | 'request_rebuild'
  | 'read_rebuild'
  | 'read_generations'
  | 'report_rebuild'
  | 'read_layout'
  | 'ping';

export type AroundCall = <T>(operation: StoreOperation, call: () => Promise<T>) => Promise<T>;

/**
 * The same store with every call that answers a request passed through `around` (to count it,
 * to bound it). Subscriptions, closing and the synchronous position functions pass straight
 * through: they are not requests to the store.
 */
export function aroundStoreCalls(store: Store, around: AroundCall): Store {
  return wrapStore(store, {
    events: {
      append: (...args) => around('append', () => store.events.append(...args)),
      readUser: (...args) => around('read_user', () => store.events.readUser(...args)),
      readEvent: (...args) => around('read_event', () => store.events.readEvent(...args)),
      readUserEvents: (...args) =>
        around('read_user_events', () => store.events.readUserEvents(...args)),
      readUserHistory: (...args) =>
        around('read_user_history', () => store.events.readUserHistory(...args)),
      countEventsByDay: (...args) =>
        around('count_events_by_day', () => store.events.countEventsByDay(...args)),
    },
    snapshots: {
      save: (...args) => around('save_snapshot', () => store.snapshots.save(...args)),
      load: (...args) => around('load_snapshot', () => store.snapshots.load(...args)),
      loadUser: (...args) => around('load_user_snapshot', () => store.snapshots.loadUser(...args)),
      listUsers: (...args) => around('list_users', () => store.snapshots.listUsers(...args)),
      countUsersByGroup: (...args) =>
        around('count_users_by_group', () => store.snapshots.countUsersByGroup(...args)),
    },
    idempotency: {
      begin: (...args) => around('begin_idempotent', () => store.idempotency.begin(...args)),
      finish: (...args) => around('finish_idempotent', () => store.idempotency.finish(...args)),
      abandon: (...args) => around('abandon_idempotent', () => store.idempotency.abandon(...args)),
    },
    dataKeys: {
      getOrCreate: (...args) =>
        around('get_or_create_data_key', () => store.dataKeys.getOrCreate(...args)),
      get: (...args) => around('get_data_keys', () => store.dataKeys.get(...args)),
      destroy: (...args) => around('destroy_data_key', () => store.dataKeys.destroy(...args)),
      wrappedOtherwise: (...args) =>
        around('list_data_keys', () => store.dataKeys.wrappedOtherwise(...args)),
      rewrap: (...args) => around('rewrap_data_key', () => store.dataKeys.rewrap(...args)),
    },
    leases: {
      heartbeat: (...args) => around('heartbeat', () => store.leases.heartbeat(...args)),
      leave: (...args) => around('leave', () => store.leases.leave(...args)),
      current: (...args) => around('read_leases', () => store.leases.current(...args)),
      acquire: (...args) => around('acquire_lease', () => store.leases.acquire(...args)),
      renew: (...args) => around('renew_leases', () => store.leases.renew(...args)),
      release: (...args) => around('release_lease', () => store.leases.release(...args)),
    },
    rebuilds: {
      request: (...args) => around('request_rebuild', () => store.rebuilds.request(...args)),
      latest: () => around('read_rebuild', () => store.rebuilds.latest()),
      partitions: () => around('read_generations', () => store.rebuilds.partitions()),
      report: (...args) => around('report_rebuild', () => store.rebuilds.report(...args)),
    },
    layout: () => around('read_layout', () => store.layout()),
    ping: () => around('ping', () => store.ping()),
  });
}

import { createHmac } from 'node:crypto';
import {
  emailClaimChange,
  foldEvents,
  initialUserState,
  type PersonalField,
  type User,
  type UserEvent,
  type UserState,
} from '../domain';
import type { DataKeyStore, WrappedDataKey } from '../store/data-key-store';
import type { EmailClaim, StoredUser } from '../store/event-store';
import type { StoredOutcome } from '../store/idempotency-store';
import type { SnapshotEntry } from '../store/snapshot-store';
import { newDataKey, unwrapDataKey } from './data-key-wrapping';
import { ErasuresInFlight } from './erasures-in-flight';
import { wipe } from './key-bytes';
import { MasterKeyError, type MasterKeyring } from './master-keys';
import {
  keyRefOf,
  openRecord,
  type PersonalFields,
  recordKeyRef,
  sealRecord,
} from './sealed-record';
import { openText, SealedValueError, sealedKeyId } from './sealed-text';

/** Owns the key that hashes emails for the one-user-per-email claims; no user id can be it. */
export const EMAIL_INDEX_OWNER = '$email-index';
/**
 * Owns the key that fingerprints requests carrying an Idempotency-Key (their bodies hold names
 * and emails), from which the ids such a request derives follow; no user id can be it.
 */
export const IDEMPOTENCY_KEY_OWNER = '$idempotency';

const PERSONAL_FIELDS: readonly PersonalField[] = ['name', 'email'];

/** Keys held at most; the least recently used go first. 100,000 keys take about 10 MiB. */
const DEFAULT_CACHE_SIZE = 100_000;
/**
 * How long a key is held after it was fetched. A gateway is told of an erasure only when it
 * makes it, or reads past it: a key another gateway destroyed stays in its memory at most this
 * long (crypto review M2), after which it is asked of the store again. (An aggregator, told of
 * every erasure of its users, holds its keys without a limit.)
 */
const DEFAULT_KEY_TTL_MS = 10 * 60_000;

export interface KeyCacheOptions {
  /** Keys held at most (DEFAULT_CACHE_SIZE). */
  readonly size?: number;
  /** How long one is held after it was fetched (DEFAULT_KEY_TTL_MS). */
  readonly ttlMs?: number;
  /** The clock the ages are read against; tests move it by hand. */
  readonly now?: () => number;
}

/** A user's data key, unwrapped: what seals and opens its personal data. */
export interface DataKey {
  readonly keyId: string;
  readonly key: Buffer;
  /**
   * How the values it seals name it (sealed-record.ts), in hex: text, as a hash's bytes would
   * keep an ArrayBuffer of their own alive for as long as the key is cached.
   */
  readonly refText: string;
}

/** A data key made for a user that has none: stored wrapped, with the events it seals. */
export interface NewDataKey {
  readonly key: DataKey;
  readonly wrapped: WrappedDataKey;
}

/** A user read from the store (StoredUser), opened: its state, and the key it was opened with. */
export interface OpenedUser {
  readonly state: UserState;
  /** Undefined when the user has no key (never had one, or erased). */
  readonly key: DataKey | undefined;
}

/** Users opened one by one (PersonalData.openPage). */
export interface OpenedPage {
  /** In order; null for each whose personal data is erased, or who could not be opened. */
  readonly users: ReadonlyArray<User | null>;
  /** The users this process cannot open, by id, with why. */
  readonly unopenable: ReadonlyMap<string, Error>;
}

/** A page as a list answers it: the users it shows, and the ids of those it leaves out. */
export interface ListedUsers {
  readonly users: readonly User[];
  readonly unopenable: readonly string[];
}

export function listedUsersOf(page: OpenedPage): ListedUsers {
  return {
    users: page.users.filter((user): user is User => user !== null),
    unopenable: [...page.unopenable.keys()],
  };
}

export interface OpenOptions {
  /**
   * Ask the store whether each key still exists rather than trust this process's cache: for
   * answers that show past personal data, which another process may have erased a moment ago.
   */
  readonly checkKeys?: boolean;
}

/**
 * Personal data (name, email) is sealed with a data key of its user before it is stored, and
 * opened only to answer a client. Erasure destroys the user's key, so every copy of the data
 * (events, snapshots, remembered responses, backups) is unreadable at once, and nothing is
 * rewritten. Each process caches the data keys it has unwrapped; a UserErased it sees drops them.
 */
export class PersonalData {
  /** In order of use: a hit moves its key to the end, and the first one is evicted. */
  private readonly cache = new Map<string, { readonly key: DataKey; readonly fetchedAt: number }>();
  /** A fetch started before an erasure must not bring the erased key back. */
  private readonly erasures = new ErasuresInFlight();
  private readonly cacheSize: number;
  private readonly keyTtlMs: number;
  private readonly now: () => number;
  /** Set once the store's system keys opened with this process's master keys. */
  private masterKeysOpen = false;
  /** The system keys (EMAIL_INDEX_OWNER, IDEMPOTENCY_KEY_OWNER), each fetched or made once. */
  private readonly systemKeys = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly keys: DataKeyStore,
    private readonly ring: MasterKeyring,
    cache: KeyCacheOptions = {},
  ) {
    this.cacheSize = cache.size ?? DEFAULT_CACHE_SIZE;
    this.keyTtlMs = cache.ttlMs ?? DEFAULT_KEY_TTL_MS;
    this.now = cache.now ?? Date.now;
  }

  /**
   * The events with their personal fields opened. Those read null when erased: every event
   * before the last UserErased among them, and those whose key is destroyed (an erasure under
   * way, or a page of history that ends before the erasure).
   */
  async openEvents(
    userId: string,
    events: readonly UserEvent[],
    options: OpenOptions = {},
  ): Promise<UserEvent[]> {
    const lastErasure = events.findLastIndex((event) => event.type === 'UserErased');
    if (lastErasure >= 0) this.forget(userId);
    const sealed = events.findLast(
      (event, index) => index > lastErasure && holdsPersonalData(event),
    );
    // Every value after the last erasure is sealed with the user's one key: asked for once, and
    // only when there is something to open. A value some other key sealed opens as erased.
    const key = sealed && (await this.keyToOpen(userId, sealedValueOf(sealed.data), options));
    return events.map((event, index) => {
      if (index <= lastErasure) return erasedEvent(event);
      if (!holdsPersonalData(event)) return event;
      return { ...event, data: openFields(key, userId, event.data) } as UserEvent;
    });
  }

  /**
   * The users opened, in order; null for each whose personal data is erased. Throws if one
   * cannot be opened here (MasterKeyError, SealedValueError): for answers about those users.
   */
  async openUsers(users: readonly User[], options: OpenOptions = {}): Promise<Array<User | null>> {
    const page = await this.openPage(users, options);
    const [failure] = page.unopenable.values();
    if (failure) throw failure;
    return [...page.users];
  }

  /**
   * A page of users opened one by one: a user this process cannot open (a key its master keys
   * do not unwrap, a damaged value) is named in `unopenable` and left null, and the others are
   * answered: one such user does not take a whole list down.
   */
  async openPage(users: readonly User[], options: OpenOptions = {}): Promise<OpenedPage> {
    const { keys, unopenable } = await this.keysOf(users, options);
    const opened = users.map((user) => {
      if (unopenable.has(user.id)) return null;
      try {
        const fields = openFields(keys.get(user.id), user.id, user);
        return fields.name === null || fields.email === null ? null : (fields as User);
      } catch (error) {
        if (!(error instanceof SealedValueError)) throw error;
        unopenable.set(user.id, error);
        return null;
      }
    });
    return { users: opened, unopenable };
  }

  /** A snapshot entry as a state: a live user whose key is destroyed reads `unreadable`. */
  async openEntry(entry: SnapshotEntry): Promise<UserState> {
    if (!entry.user) return { version: entry.version, user: null };
    const [user] = await this.openUsers([entry.user]);
    return user
      ? { version: entry.version, user }
      : { version: entry.version, user: null, erasure: 'unreadable' };
  }

  /** A response about to be remembered, its user's personal data sealed. */
  async sealOutcome(outcome: StoredOutcome): Promise<StoredOutcome> {
    if (outcome.userId === undefined) return outcome;
    const key = await this.currentKey(outcome.userId);
    const body = JSON.parse(outcome.body) as Record<string, unknown>;
    const sealed = key ? sealFields(key, outcome.userId, body) : erasedFields(body);
    return { ...outcome, body: JSON.stringify(sealed) };
  }

  /** A remembered response as it is sent again: name and email null once the user is erased. */
  async openOutcome(outcome: StoredOutcome): Promise<StoredOutcome> {
    if (outcome.userId === undefined) return outcome;
    const body = JSON.parse(outcome.body) as Record<string, unknown>;
    const key = await this.fetchKey(outcome.userId);
    const opened = openFields(key, outcome.userId, body);
    return { ...outcome, body: JSON.stringify(opened) };
  }

  // The write side's steps (gateway/src/user-log.ts puts them in order): the key comes with the
  // user read from the store, so none of these asks the store anything.

  /**
   * The user as read in one call to the store, opened with the key read with it: the exact state
   * a write decides on. Events before the last erasure, and values sealed with another key than
   * the stored one, read as erased (null), as `openEvents` has it.
   */
  openStored(userId: string, stored: StoredUser): OpenedUser {
    const key = this.keyIn(userId, stored);
    // Folded sealed, as an aggregator folds, then only the user it ends with opened: one opening
    // per write however many events it reads, not one per event.
    const folded = foldSealed(stored);
    return { state: folded.user ? this.entryWith(key, folded.version, folded.user) : folded, key };
  }

  /**
   * The user read by `read` (one call to the store), opened as `openStored` opens it. If this
   * process saw the user erased while the read was in flight, what it read is from before the
   * erasure: its key is neither used nor kept.
   */
  async openRead(userId: string, read: () => Promise<StoredUser>): Promise<OpenedUser> {
    const { value: stored, erased } = await this.erasures.during(read);
    return this.openStored(userId, erased.has(userId) ? { ...stored, dataKey: null } : stored);
  }

  /** The key read with the user, unwrapped; undefined (and forgotten here) when it has none. */
  keyIn(userId: string, stored: StoredUser): DataKey | undefined {
    const key = stored.dataKey ? this.unwrap(userId, stored.dataKey) : undefined;
    if (!key) this.forget(userId);
    return key;
  }

  /** A new data key for a user that has none: stored by the append of the events it seals. */
  newKey(userId: string): NewDataKey {
    const { key, wrapped } = newDataKey(this.ring, userId);
    return { key: dataKeyOf(wrapped.keyId, key), wrapped };
  }

  /** The events with their personal fields sealed with `key`. */
  sealEvents(key: DataKey, events: readonly UserEvent[]): UserEvent[] {
    return events.map((event) => sealEvent(key, event));
  }

  /** What the events do to their user's email, the email as its keyed hash: from plain text. */
  async emailClaimOf(events: readonly UserEvent[]): Promise<EmailClaim | undefined> {
    return this.claimOf(events);
  }

  /** A response about to be remembered, sealed with the key the write used. */
  sealOutcomeWith(key: DataKey | undefined, outcome: StoredOutcome): StoredOutcome {
    if (outcome.userId === undefined) return outcome;
    const body = JSON.parse(outcome.body) as Record<string, unknown>;
    const sealed = key ? sealFields(key, outcome.userId, body) : erasedFields(body);
    return { ...outcome, body: JSON.stringify(sealed) };
  }

  /** Keeps a key a write stored, so that this process opens what it sealed without a fetch. */
  keep(userId: string, key: DataKey): void {
    this.remember(userId, key);
  }

  private entryWith(key: DataKey | undefined, version: number, user: User): UserState {
    const opened = openFields(key, user.id, user);
    return opened.name === null || opened.email === null
      ? { version, user: null, erasure: 'unreadable' }
      : { version, user: opened as User };
  }

  /** Drops the user's key from this process: its user was erased. */
  forget(userId: string): void {
    this.erasures.forget(userId);
    this.drop(userId);
  }

  /**
   * Fetches the key that sealed this event's personal data ahead of the reads that will need
   * it, unless it is held already: an aggregator warms the keys of the users it is sent, so that
   * it can still answer them while the store is unreachable.
   */
  async warm(event: UserEvent): Promise<void> {
    const sealed = holdsPersonalData(event) ? sealedValueOf(event.data) : undefined;
    if (sealed === undefined || sealedBy(sealed, this.held(event.userId))) return;
    const { value, erased } = await this.erasures.during(() => this.keys.get([event.userId]));
    const stored = value.get(event.userId);
    if (stored && !erased.has(event.userId)) this.unwrap(event.userId, stored);
  }

  /** The keyed hash that stands for a (normalised) email in the claims: the email itself is never stored. */
  async emailKey(normalizedEmail: string): Promise<string> {
    return createHmac('sha256', await this.systemKey(EMAIL_INDEX_OWNER))
      .update(normalizedEmail)
      .digest('base64url');
  }

  /**
   * The keyed hash of a request carrying an Idempotency-Key, which the key's record keeps and its
   * derived ids follow from: without the key, a guessed name and email cannot be checked against
   * them, during the key's life or after the person's erasure (crypto review M1).
   */
  async requestFingerprint(request: string): Promise<string> {
    return createHmac('sha256', await this.systemKey(IDEMPOTENCY_KEY_OWNER))
      .update(request)
      .digest('base64url');
  }

  private async claimOf(events: readonly UserEvent[]): Promise<EmailClaim | undefined> {
    const change = emailClaimChange(events);
    if (change?.kind !== 'hold') return change;
    return { kind: 'hold', key: await this.emailKey(change.email) };
  }

  /**
   * The id of a master key the store's keys need and this process lacks, or undefined when its
   * master keys open them (or the store has none yet): the system keys are unwrapped as a canary,
   * so that a process started with the wrong key reports itself not ready rather than answering
   * 500 to whatever touches a name or an email (crypto review m3). Once they opened, that holds
   * for the process's life; a failure is asked again next time.
   */
  async masterKeyMismatch(): Promise<string | undefined> {
    if (this.masterKeysOpen) return undefined;
    const stored = await this.keys.get([EMAIL_INDEX_OWNER, IDEMPOTENCY_KEY_OWNER]);
    for (const [owner, wrapped] of stored) {
      try {
        // A canary only: its bytes are not kept.
        wipe(unwrapDataKey(this.ring, owner, wrapped));
      } catch (error) {
        if (error instanceof MasterKeyError) return wrapped.masterKeyId;
        throw error;
      }
    }
    this.masterKeysOpen = stored.size > 0;
    return undefined;
  }

  /** A key of the system's own, made by the first process that needs it and shared after. */
  private systemKey(owner: string): Promise<Buffer> {
    const held = this.systemKeys.get(owner);
    if (held) return held;
    const fetched = (async () => {
      const candidate = newDataKey(this.ring, owner);
      const stored = await this.keys.getOrCreate(owner, candidate.wrapped);
      return unwrapDataKey(this.ring, owner, stored);
    })();
    this.systemKeys.set(owner, fetched);
    // A failed fetch is asked again next time rather than remembered.
    fetched.catch(() => this.systemKeys.delete(owner));
    return fetched;
  }

  /**
   * The user's key as this process last saw it. An update is sealed with it: the user was live,
   * readable with this key, in the state the update was decided on. If another process destroyed
   * it since (an erasure under way), the update is sealed with a destroyed key, and its data is
   * as erased as the rest: the erasure's event then conflicts, and its retry appends after it.
   * Asking the store each time would cost every update a read, to narrow a window that only an
   * unfinished erasure opens (RELIABILITY.md, "Erasure").
   */
  private async currentKey(userId: string): Promise<DataKey | undefined> {
    return this.held(userId) ?? this.fetchKey(userId);
  }

  /**
   * The key to open `sealed` with: the cached one if it sealed it and may be trusted, else the
   * one in the store.
   */
  private async keyToOpen(
    userId: string,
    sealed: string | undefined,
    options: OpenOptions,
  ): Promise<DataKey | undefined> {
    const cached = this.held(userId);
    return !options.checkKeys && sealed !== undefined && sealedBy(sealed, cached)
      ? cached
      : this.fetchKey(userId);
  }

  private async keysOf(
    users: readonly User[],
    options: OpenOptions,
  ): Promise<{ keys: Map<string, DataKey>; unopenable: Map<string, Error> }> {
    const keys = new Map<string, DataKey>();
    const unopenable = new Map<string, Error>();
    const missing: string[] = [];
    for (const user of users) {
      const cached = this.held(user.id);
      if (!options.checkKeys && cached && sealedBy(user.name, cached)) keys.set(user.id, cached);
      else missing.push(user.id);
    }
    if (missing.length === 0) return { keys, unopenable };
    const { value: stored, erased } = await this.erasures.during(() => this.keys.get(missing));
    for (const userId of missing) {
      const wrapped = erased.has(userId) ? undefined : stored.get(userId);
      if (!wrapped) {
        this.forget(userId);
        continue;
      }
      try {
        keys.set(userId, this.unwrap(userId, wrapped));
      } catch (error) {
        if (!(error instanceof MasterKeyError)) throw error;
        unopenable.set(userId, error);
      }
    }
    return { keys, unopenable };
  }

  private async fetchKey(userId: string): Promise<DataKey | undefined> {
    const { value, erased } = await this.erasures.during(() => this.keys.get([userId]));
    const stored = erased.has(userId) ? undefined : value.get(userId);
    if (stored) return this.unwrap(userId, stored);
    this.forget(userId);
    return undefined;
  }

  private unwrap(userId: string, wrapped: WrappedDataKey): DataKey {
    // Its store read just now: held again for a full TTL.
    const cached = this.cache.get(userId)?.key;
    if (cached?.keyId === wrapped.keyId) return this.remember(userId, cached);
    return this.remember(
      userId,
      dataKeyOf(wrapped.keyId, unwrapDataKey(this.ring, userId, wrapped)),
    );
  }

  /** The cached key, moved to the end of the eviction order; none once it is past its TTL. */
  private held(userId: string): DataKey | undefined {
    const entry = this.cache.get(userId);
    if (!entry) return undefined;
    if (this.now() - entry.fetchedAt > this.keyTtlMs) {
      this.drop(userId);
      return undefined;
    }
    this.cache.delete(userId);
    this.cache.set(userId, entry);
    return entry.key;
  }

  private remember(userId: string, key: DataKey): DataKey {
    // Another key of the user (an earlier incarnation's) goes, wiped; the same one only moves.
    if (this.cache.get(userId)?.key === key) this.cache.delete(userId);
    else this.drop(userId);
    this.cache.set(userId, { key, fetchedAt: this.now() });
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    return key;
  }

  /**
   * Lets go of a cached key, its bytes wiped. A write that still holds it (it awaited something
   * after loading its user) finds it wiped before sealing with it, and is retried as a conflict
   * (seal-and-append.ts).
   */
  private drop(userId: string): void {
    const entry = this.cache.get(userId);
    if (!entry) return;
    this.cache.delete(userId);
    wipe(entry.key.key);
  }
}

/**
 * The user as read in one call to the store, folded with its personal fields still sealed: its
 * version and whether it is erased, for a decision that needs nothing else (an erasure).
 */
export function foldSealed(stored: StoredUser): UserState {
  const start = stored.snapshot?.user
    ? { version: stored.snapshot.version, user: stored.snapshot.user }
    : initialUserState;
  return foldEvents(start, stored.events);
}

/** The event as read after its user's erasure: personal fields null, the rest kept. */
export function erasedEvent(event: UserEvent): UserEvent {
  if (!holdsPersonalData(event)) return event;
  return { ...event, data: erasedFields(event.data) } as UserEvent;
}

/** Whether the event carries a name or an email: what sealing and opening act on. */
export function holdsPersonalData(event: UserEvent): boolean {
  return (
    (event.type === 'UserCreated' || event.type === 'UserUpdated') &&
    PERSONAL_FIELDS.some((field) => typeof event.data[field] === 'string')
  );
}

/**
 * The event's personal fields sealed together: each of them holds the same sealed record, which
 * says which fields it holds. An aggregator folds the fields as they are, unopened (decision
 * 0011), so a snapshot may hold a name from one record and an email from another; a store may
 * keep a record its fields share once (store/mongo/sealed-documents.ts).
 */
function sealEvent(key: DataKey, event: UserEvent): UserEvent {
  if (!holdsPersonalData(event)) return event;
  const plain = event.data as Record<string, unknown>;
  const fields: { -readonly [K in PersonalField]?: string } = {};
  for (const field of PERSONAL_FIELDS) {
    const value = plain[field];
    if (typeof value === 'string') fields[field] = value;
  }
  const sealed = sealRecord(key.key, refOf(key), event.userId, fields);
  return { ...event, data: mapPersonal(event.data, () => sealed) } as UserEvent;
}

// A copy with the personal fields changed in place, so its keys keep their order: a sealed or
// opened body has the same shape, and the same bytes, as the original.
function mapPersonal<T extends object>(
  data: T,
  change: (field: PersonalField, value: string) => string | null,
): T {
  const copy = { ...data } as Record<string, unknown>;
  for (const field of PERSONAL_FIELDS) {
    const value = copy[field];
    if (typeof value === 'string') copy[field] = change(field, value);
  }
  return copy as T;
}

// Each field its own record: a response is stored as JSON text, where a shared record would be
// written twice.
function sealFields<T extends object>(key: DataKey, userId: string, data: T): T {
  return mapPersonal(data, (field, value) =>
    sealRecord(key.key, refOf(key), userId, { [field]: value }),
  );
}

function erasedFields<T extends object>(data: T): T {
  return mapPersonal(data, () => null);
}

/**
 * Opens what `key` sealed, in either format (`pd1.` a value per field, `pd2.` a record); a value
 * sealed with any other key is erased (its key is gone). A record two fields share opens once.
 */
function openFields<T extends object>(key: DataKey | undefined, userId: string, data: T): T {
  let openedValue: string | undefined;
  let record: PersonalFields | undefined;
  return mapPersonal(data, (field, value) => {
    if (!key) return null;
    const ref = recordKeyRef(value);
    if (ref === undefined)
      return sealedKeyId(value) === key.keyId
        ? openText(key.key, contextOf(userId, field), value)
        : null;
    if (ref !== key.refText) return null;
    if (value !== openedValue) {
      record = openRecord(key.key, userId, value);
      openedValue = value;
    }
    return record?.[field] ?? null;
  });
}

/** Whether `key` sealed `value`, as far as the key id or ref the value names tells. */
function sealedBy(value: string, key: DataKey | undefined): boolean {
  if (!key) return false;
  const ref = recordKeyRef(value);
  return ref === undefined ? sealedKeyId(value) === key.keyId : ref === key.refText;
}

/** One of the data's sealed personal values (they are all sealed with one key). */
function sealedValueOf(data: object): string | undefined {
  for (const field of PERSONAL_FIELDS) {
    const value: unknown = (data as Record<string, unknown>)[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function dataKeyOf(keyId: string, key: Buffer): DataKey {
  return { keyId, key, refText: keyRefOf(keyId).toString('hex') };
}

function refOf(key: DataKey): Buffer {
  return Buffer.from(key.refText, 'hex');
}

function contextOf(userId: string, field: PersonalField): string {
  return `${userId}.${field}`;
}

import { EVENT_SCHEMA_VERSIONS, upcast, type UserEvent, type UserEventType } from '../../domain';

/**
 * The in-memory store's events in commit order, each kept as its JSON text beside the few fields
 * that scans look at (partition, time, type), in arrays of plain numbers and shared strings.
 *
 * Why not the event objects themselves: the log only grows, and every object in it is one more
 * for the garbage collector to trace on each full collection. With a few hundred thousand events
 * (an event, its data and its date each) the marking took 50-110 ms of the one busy core every few
 * seconds under load, and requests queued behind it (bench/README.md, the half-saturation rows). A
 * string has nothing to trace. A read parses what it returns, so each caller gets its own copy
 * and none can change what is stored.
 */
export class SerializedLog {
  private readonly texts: string[] = [];
  private readonly partitions: number[] = [];
  private readonly times: number[] = [];
  private readonly types: UserEventType[] = [];

  get length(): number {
    return this.texts.length;
  }

  /** Stores the event; answers its index. */
  push(event: UserEvent): number {
    this.texts.push(JSON.stringify(event));
    this.partitions.push(event.partition);
    this.times.push(event.occurredAt.getTime());
    this.types.push(event.type);
    return this.texts.length - 1;
  }

  /** The event at `index`, as a copy of its own. */
  at(index: number): UserEvent {
    const text = this.texts[index];
    if (text === undefined) throw new Error(`no event at ${index} of the log`);
    return eventFromText(text);
  }

  partitionAt(index: number): number | undefined {
    return this.partitions[index];
  }

  timeAt(index: number): number {
    return this.times[index] ?? Number.NaN;
  }

  typeAt(index: number): UserEventType | undefined {
    return this.types[index];
  }
}

/**
 * An event from the text the log keeps of it, upcast to the current shape of its type
 * (domain/upcasting.ts), as every store reads its events.
 */
export function eventFromText(text: string): UserEvent {
  const parsed = JSON.parse(text) as Omit<UserEvent, 'occurredAt'> & { occurredAt: string };
  const stored = { ...parsed, occurredAt: new Date(parsed.occurredAt) } as UserEvent;
  // Most events are of the current schema: nothing to copy.
  const current: number | undefined = EVENT_SCHEMA_VERSIONS[stored.type];
  if (stored.schemaVersion === current) return stored;
  const { schemaVersion, ...body } = upcast(stored);
  return { ...stored, ...body, schemaVersion } as UserEvent;
}

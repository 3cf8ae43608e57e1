import { seededId } from './seed';

export type ScenarioName = 'read' | 'create' | 'update' | 'mixed';
export const SCENARIOS: readonly ScenarioName[] = ['read', 'create', 'update', 'mixed'];

/** HTTP's methods but CONNECT, and one it does not define (WebDAV's): what the bench sends. */
export type PlannedMethod =
  'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'TRACE' | 'PROPFIND';

export interface PlannedRequest {
  readonly method: PlannedMethod;
  readonly path: string;
  readonly body?: string;
  /** The body's `content-type`: `application/json` when not given, none when null. */
  readonly contentType?: string | null;
  /** Sent besides `content-type`, e.g. an `Idempotency-Key`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** What kind of request it is, for a report of the slowest (e.g. `read`, `hostile body`). */
  readonly kind?: string;
}

/**
 * Produces the next request of a scenario. Each call picks afresh, so every connection of the
 * load generator draws from the same mix.
 */
export function scenario(name: ScenarioName, seeded: number, runTag: string): () => PlannedRequest {
  const randomSeeded = () => seededId(Math.floor(Math.random() * seeded));
  let created = 0;
  const createNew = (): PlannedRequest => {
    created += 1;
    const id = `new-${runTag}-${created}`;
    return {
      kind: 'create',
      method: 'POST',
      path: '/api/user',
      body: JSON.stringify({
        id,
        name: `New ${created}`,
        // Of the id, which no other run uses: two live users cannot share an email.
        email: `${id}@example.com`,
        group: 1,
      }),
    };
  };
  const read = (): PlannedRequest => ({
    kind: 'read',
    method: 'GET',
    path: `/api/user/${randomSeeded()}`,
  });
  const update = (): PlannedRequest => ({
    kind: 'update',
    method: 'PUT',
    path: '/api/user',
    body: JSON.stringify({ id: randomSeeded(), group: Math.floor(Math.random() * 1_000_000) }),
  });
  // Deleted ids wait here to be created again, so the mix keeps its population.
  const deleted: string[] = [];
  const deleteOrRecreate = (): PlannedRequest => {
    const id = Math.random() < 0.5 ? deleted.shift() : undefined;
    if (id !== undefined) {
      return {
        kind: 're-create',
        method: 'POST',
        path: '/api/user',
        body: JSON.stringify({ id, name: 'Again', email: `${id}.again@example.com`, group: 2 }),
      };
    }
    const victim = randomSeeded();
    deleted.push(victim);
    return { kind: 'delete', method: 'DELETE', path: `/api/user/${victim}` };
  };

  switch (name) {
    case 'read':
      return read;
    case 'create':
      return createNew;
    case 'update':
      return update;
    case 'mixed':
      return () => {
        const roll = Math.random();
        if (roll < 0.8) return read();
        if (roll < 0.9) return update();
        if (roll < 0.95) return createNew();
        return deleteOrRecreate();
      };
  }
}

/**
 * Statuses a scenario means to provoke: in the mixed scenario a read or update can meet a user
 * deleted a moment ago (404), and a re-create can come before its delete landed (409).
 */
export function intendedStatuses(name: string): readonly number[] {
  return name === 'mixed' ? [404, 409] : [];
}

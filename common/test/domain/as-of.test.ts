import { stateAsOf } from '@user-service/common/domain';
import { created, deleted, eventsWith, fieldsFor, updated } from '@user-service/test-support';

const ada = fieldsFor(1);
const at = (iso: string) => ({ occurredAt: new Date(iso) });

/** Created, renamed, moved; the move's clock ran behind the rename's (two gateways' clocks). */
const life = [
  ...eventsWith('ada', 0, at('2026-03-01T10:00:00Z'), created(ada)),
  ...eventsWith('ada', 1, at('2026-03-01T12:00:00Z'), updated({ name: 'Ada L.' })),
  ...eventsWith('ada', 2, at('2026-03-01T11:59:59Z'), updated({ group: 7 })),
  ...eventsWith('ada', 3, at('2026-03-02T00:00:00Z'), deleted()),
];

describe('stateAsOf', () => {
  it('folds up to and including version N', () => {
    expect(stateAsOf(life, { version: 2 })).toEqual({
      version: 2,
      user: { id: 'ada', ...ada, name: 'Ada L.' },
    });
  });

  it('answers undefined for a version the user never had', () => {
    expect(stateAsOf(life, { version: 5 })).toBeUndefined();
  });

  it('answers the deleted state at the version of the delete', () => {
    expect(stateAsOf(life, { version: 4 })).toEqual({ version: 4, user: null });
  });

  it('as of a time, folds up to the highest version that occurred by then, with every earlier one', () => {
    // At 12:00:00 the move (v3, 11:59:59) had occurred, and the rename before it (v2) counts too.
    expect(stateAsOf(life, { at: new Date('2026-03-01T12:00:00Z') })).toEqual({
      version: 3,
      user: { id: 'ada', ...ada, name: 'Ada L.', group: 7 },
    });
  });

  it('as of the very moment of an event, includes it', () => {
    expect(stateAsOf(life, { at: new Date('2026-03-01T10:00:00Z') })).toEqual({
      version: 1,
      user: { id: 'ada', ...ada },
    });
  });

  it('answers undefined for a time before the first event', () => {
    expect(stateAsOf(life, { at: new Date('2026-03-01T09:59:59.999Z') })).toBeUndefined();
  });
});

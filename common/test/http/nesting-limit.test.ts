import { depthExceeds, MAX_BODY_DEPTH } from '@user-service/common/http';

const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('the nesting limit of JSON bodies', () => {
  it('lets a user body and anything up to the limit through', () => {
    expect(depthExceeds({ id: 'ada', name: 'Ada', email: 'a@b.c', group: 1 }, MAX_BODY_DEPTH)).toBe(
      false,
    );
    expect(depthExceeds(nested(MAX_BODY_DEPTH), MAX_BODY_DEPTH)).toBe(false);
    expect(depthExceeds('plain', MAX_BODY_DEPTH)).toBe(false);
  });

  it('refuses one level more, and a body nested thousands deep without running out of stack', () => {
    expect(depthExceeds(nested(MAX_BODY_DEPTH + 1), MAX_BODY_DEPTH)).toBe(true);
    expect(depthExceeds(nested(4000), MAX_BODY_DEPTH)).toBe(true);
    expect(
      depthExceeds(JSON.parse(`${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`), MAX_BODY_DEPTH),
    ).toBe(true);
  });
});

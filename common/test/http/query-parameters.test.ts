import { queryValidator } from '@user-service/common/http';

const page = queryValidator({
  limit: {
    schema: { type: 'integer', minimum: 1, maximum: 10, default: 5 },
    expected: 'an integer from 1 to 10',
  },
  group: {
    schema: { type: 'integer', minimum: 0, maximum: 9 },
    expected: 'an integer from 0 to 9',
  },
  after: { schema: { type: 'string', pattern: '^[a-z]+$' }, expected: 'lowercase letters' },
});

describe('a query validator', () => {
  it('answers integers as numbers, the rest as given, and a default for what is absent', () => {
    const query = page('group=3&after=ann');
    expect(query).toEqual({ ok: true, value: { limit: 5, group: 3, after: 'ann' } });
    if (!query.ok) return;
    // Typed by the schemas: these compile only because limit is a number, always there.
    const {
      limit,
      group,
      after,
    }: { limit: number; group?: number | undefined; after?: string | undefined } = query.value;
    expect(limit + (group ?? 0)).toBe(8);
    expect(after?.toUpperCase()).toBe('ANN');
  });

  it('keeps a value given over the default', () => {
    expect(page('limit=7')).toEqual({ ok: true, value: { limit: 7 } });
  });

  it('reports every mistake at once, under each parameter’s name, and applies no default then', () => {
    expect(page('limit=0&group=x&after=A&other=1&after=b')).toEqual({
      ok: false,
      errors: [
        { field: 'group', message: 'must be an integer from 0 to 9' },
        { field: 'other', message: 'is not a parameter of this route' },
        { field: 'after', message: 'must be given at most once' },
        { field: 'limit', message: 'must be an integer from 1 to 10' },
        { field: 'after', message: 'must be lowercase letters' },
      ],
    });
  });

  it('publishes its parameters as given, for the OpenAPI document', () => {
    expect(page.parameters.limit.schema.default).toBe(5);
  });
});

import {
  validateCreateUser,
  validateUpdateUser,
  validateUserId,
} from '@user-service/common/domain';

const valid = { name: 'Ada Lovelace', email: 'ada@example.com', group: 1 };

describe('create validation', () => {
  it('accepts a user without an id, leaving the id to the server', () => {
    expect(validateCreateUser(valid)).toEqual({ ok: true, value: { fields: valid } });
  });

  it.each(['13AE742', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'a_b-C', 'x'.repeat(64)])(
    'accepts the id %s',
    (id) => {
      expect(validateCreateUser({ ...valid, id })).toEqual({
        ok: true,
        value: { id, fields: valid },
      });
    },
  );

  it('stores the name trimmed and measures it after trimming', () => {
    const padded = `  ${'n'.repeat(200)}  `;
    expect(validateCreateUser({ ...valid, name: padded })).toEqual({
      ok: true,
      value: { fields: { ...valid, name: 'n'.repeat(200) } },
    });
    expect(validateCreateUser({ ...valid, name: '   ' })).toMatchObject({
      ok: false,
      errors: [{ field: 'name' }],
    });
    expect(validateCreateUser({ ...valid, name: 'n'.repeat(201) })).toMatchObject({
      ok: false,
      errors: [{ field: 'name' }],
    });
  });

  it('does not change the object it is given', () => {
    const body = { ...valid, name: '  Ada  ' };
    validateCreateUser(body);
    expect(body.name).toBe('  Ada  ');
  });

  it.each([
    ['id', 'has/slash'],
    ['id', ''],
    ['id', 'x'.repeat(65)],
    ['id', null],
    ['id', 42],
    ['name', null],
    ['name', 7],
    ['email', 'not-an-email'],
    ['email', `${'a'.repeat(250)}@example.com`],
    ['group', 1.5],
    ['group', -1],
    ['group', 2147483648],
    ['group', '5'],
    ['group', null],
  ])('rejects %s = %j, naming the field', (field, value) => {
    const result = validateCreateUser({ ...valid, [field]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((error) => error.field)).toEqual([field]);
  });

  it('lists every missing field at once, each with a message', () => {
    const result = validateCreateUser({});
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'name', message: 'is required' },
        { field: 'email', message: 'is required' },
        { field: 'group', message: 'is required' },
      ],
    });
  });

  it.each([['role'], ['__proto__'], ['constructor'], ['$where']])(
    'rejects the unknown key %s',
    (key) => {
      const body: unknown = JSON.parse(
        `{"name":"A","email":"a@example.com","group":1,"${key}":{"admin":true}}`,
      );
      expect(validateCreateUser(body)).toEqual({
        ok: false,
        errors: [{ field: key, message: 'is not an allowed field' }],
      });
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    },
  );

  it('refuses the id of a route, saying so', () => {
    expect(validateCreateUser({ ...valid, id: 'count' })).toEqual({
      ok: false,
      errors: [{ field: 'id', message: 'must not be "count" (a route name)' }],
    });
  });

  it.each([null, [], 'text', 42, true])('rejects a body that is not an object: %j', (body) => {
    expect(validateCreateUser(body)).toMatchObject({ ok: false, errors: [{ field: 'body' }] });
  });
});

describe('update validation', () => {
  it('accepts an id with any non-empty subset of fields', () => {
    expect(validateUpdateUser({ id: 'u1', group: 0 })).toEqual({
      ok: true,
      value: { id: 'u1', patch: { group: 0 } },
    });
    expect(validateUpdateUser({ id: 'u1', name: ' Bo ', email: 'b@example.com' })).toEqual({
      ok: true,
      value: { id: 'u1', patch: { name: 'Bo', email: 'b@example.com' } },
    });
  });

  it('needs the id', () => {
    expect(validateUpdateUser({ name: 'Bo' })).toEqual({
      ok: false,
      errors: [{ field: 'id', message: 'is required' }],
    });
  });

  it('needs at least one field to change', () => {
    expect(validateUpdateUser({ id: 'u1' })).toEqual({
      ok: false,
      errors: [{ field: 'body', message: 'must contain at least one of name, email, group' }],
    });
  });

  it('rejects null for a field rather than treating it as absent', () => {
    expect(validateUpdateUser({ id: 'u1', name: null })).toMatchObject({
      ok: false,
      errors: [{ field: 'name' }],
    });
  });

  it('rejects keys that could pollute a merged object', () => {
    const body: unknown = JSON.parse('{"id":"u1","name":"Bo","__proto__":{"polluted":1}}');
    expect(validateUpdateUser(body)).toMatchObject({ ok: false, errors: [{ field: '__proto__' }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('id validation', () => {
  it.each(['13AE742', 'a-b_c'])('accepts %s', (id) => {
    expect(validateUserId(id)).toEqual({ ok: true, value: id });
  });

  it.each(['', 'a b', 'a/b', '$where', '..', 'x'.repeat(65), 'é'])('rejects %j', (id) => {
    expect(validateUserId(id)).toEqual({
      ok: false,
      errors: [{ field: 'id', message: 'must match pattern "^[A-Za-z0-9_-]{1,64}$"' }],
    });
  });

  it('rejects the id of a route, saying so', () => {
    expect(validateUserId('count')).toEqual({
      ok: false,
      errors: [{ field: 'id', message: 'must not be "count" (a route name)' }],
    });
  });
});

import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { UserFields, UserPatch } from './user';

export const USER_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const userIdRegExp = new RegExp(USER_ID_PATTERN);
/** Ids that name a route under `/api/user/` (`GET /api/user/count`), so no user can have them. */
export const RESERVED_USER_IDS: readonly string[] = ['count'];
const RESERVED_ID_MESSAGE = `must not be ${RESERVED_USER_IDS.map((id) => `"${id}"`).join(' or ')} (a route name)`;

/** One problem with one field of a request, in words a client can show next to that field. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type Validated<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

export interface CreateUserInput {
  readonly id?: string;
  readonly fields: UserFields;
}

export interface UpdateUserInput {
  readonly id: string;
  readonly patch: UserPatch;
}

interface CreateUserBody extends UserFields {
  id?: string;
}

interface UpdateUserBody extends UserPatch {
  id: string;
}

const fieldSchemas = {
  // `type` inside `not` too: it validates the same, and lets Swagger UI show the type as
  // string, where a `not` without a type reads to it as "not anything", shown as `never`.
  id: {
    type: 'string',
    pattern: USER_ID_PATTERN,
    not: { type: 'string', enum: RESERVED_USER_IDS },
  },
  // Checked after trimming, and stored trimmed.
  name: { type: 'string', minLength: 1, maxLength: 200 },
  email: { type: 'string', format: 'email', maxLength: 254 },
  group: { type: 'integer', minimum: 0, maximum: 2147483647 },
} as const;

// Plain schemas rather than JSONSchemaType: that type would demand `nullable` on optional
// fields, and null is not a valid value for any of them. Exported for the gateway's OpenAPI
// document, which shows these very objects, so that it cannot say other than what is checked.
export const createUserSchema = {
  type: 'object',
  properties: fieldSchemas,
  required: ['name', 'email', 'group'],
  additionalProperties: false,
};

export const updateUserSchema = {
  type: 'object',
  properties: fieldSchemas,
  required: ['id'],
  additionalProperties: false,
};

/**
 * Compiled by prepareBodyCheckers or on the first body checked, not on import: compiling takes
 * about 0.1 s, which every process (and every test file) importing the domain would pay, checking
 * bodies or not.
 */
let checkers:
  | {
      readonly create: ValidateFunction<CreateUserBody>;
      readonly update: ValidateFunction<UpdateUserBody>;
    }
  | undefined;

function bodyCheckers(): NonNullable<typeof checkers> {
  if (checkers) return checkers;
  // allErrors reports every bad field at once; the schemas are small and bodies are size-capped,
  // so the extra work is bounded.
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv, ['email']);
  checkers = {
    create: ajv.compile<CreateUserBody>(createUserSchema),
    update: ajv.compile<UpdateUserBody>(updateUserSchema),
  };
  return checkers;
}

/**
 * Compiles the body validators now, for a process that will check bodies (the gateway, at start):
 * otherwise the first create or update pays the 0.1 s, and every request behind it waits it out.
 */
export function prepareBodyCheckers(): void {
  bodyCheckers();
}

export function validateCreateUser(body: unknown): Validated<CreateUserInput> {
  const candidate = withTrimmedName(body);
  const checkCreateBody = bodyCheckers().create;
  if (!checkCreateBody(candidate)) return invalid(checkCreateBody.errors);
  const { id, name, email, group } = candidate;
  const fields = { name, email, group };
  return { ok: true, value: id === undefined ? { fields } : { id, fields } };
}

export function validateUpdateUser(body: unknown): Validated<UpdateUserInput> {
  const candidate = withTrimmedName(body);
  const checkUpdateBody = bodyCheckers().update;
  if (!checkUpdateBody(candidate)) return invalid(checkUpdateBody.errors);
  const { id, name, email, group } = candidate;
  const patch: { name?: string; email?: string; group?: number } = {};
  if (name !== undefined) patch.name = name;
  if (email !== undefined) patch.email = email;
  if (group !== undefined) patch.group = group;
  if (Object.keys(patch).length === 0) {
    return {
      ok: false,
      errors: [{ field: 'body', message: 'must contain at least one of name, email, group' }],
    };
  }
  return { ok: true, value: { id, patch } };
}

export function validateUserId(id: unknown): Validated<string> {
  if (typeof id === 'string' && RESERVED_USER_IDS.includes(id))
    return { ok: false, errors: [{ field: 'id', message: RESERVED_ID_MESSAGE }] };
  if (typeof id === 'string' && userIdRegExp.test(id)) return { ok: true, value: id };
  return {
    ok: false,
    errors: [{ field: 'id', message: `must match pattern "${USER_ID_PATTERN}"` }],
  };
}

function withTrimmedName(body: unknown): unknown {
  if (!isPlainRecord(body) || typeof body.name !== 'string') return body;
  // A copy, so that the caller's object is never changed by validation.
  return { ...body, name: body.name.trim() };
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(errors: ErrorObject[] | null | undefined): Validated<never> {
  return { ok: false, errors: (errors ?? []).map(toFieldError) };
}

function toFieldError(error: ErrorObject): FieldError {
  switch (error.keyword) {
    case 'required':
      return { field: String(error.params.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { field: String(error.params.additionalProperty), message: 'is not an allowed field' };
    case 'not':
      return { field: error.instancePath.replace(/^\//, ''), message: RESERVED_ID_MESSAGE };
    default:
      return {
        field: error.instancePath.replace(/^\//, '') || 'body',
        message: error.message ?? 'is invalid',
      };
  }
}

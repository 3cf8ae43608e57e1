import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { type FieldError, USER_ID_PATTERN, type Validated } from '../domain';

/** One query parameter: a JSON Schema for its value, and the words a client reads when it is wrong. */
export interface QueryParameter {
  /** JSON Schema of the value: `type: 'integer'` values are read as decimal integers first. */
  readonly schema: Readonly<Record<string, unknown>>;
  /** What a valid value is, as the error message completes it: "must be {expected}". */
  readonly expected: string;
}

export type QueryParameters = Readonly<Record<string, QueryParameter>>;

/** A query's parameters as validated: integers as numbers, the rest as given. */
export type QueryValues = Readonly<Record<string, string | number | undefined>>;

/** Validates a raw query string (the part after `?`). */
export interface QueryValidator {
  (query: string): Validated<QueryValues>;
  /** What it validates with, as given: the gateway's OpenAPI document shows these very objects. */
  readonly parameters: QueryParameters;
}

/** The parameters that mean the same on every route that takes them. */
export const COMMON_PARAMETERS = {
  /** A user's group, as in its body. */
  group: {
    schema: { type: 'integer', minimum: 0, maximum: 2147483647 },
    expected: 'an integer from 0 to 2147483647',
  },
  /** Only the users whose id comes after this one. */
  afterUser: { schema: { type: 'string', pattern: USER_ID_PATTERN }, expected: 'a user id' },
} as const satisfies QueryParameters;

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv, ['date-time', 'date']);

const DECIMAL_INTEGER = /^-?\d{1,16}$/;

/**
 * A validator of one route's query string, built once per route. Like a body, every parameter
 * is checked and every mistake reported at once, each under the parameter's name as `field`: a
 * malformed or out-of-range value, a parameter given twice, or one the route does not take.
 */
export function queryValidator(parameters: QueryParameters): QueryValidator {
  const check = ajv.compile({
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(parameters).map(([name, parameter]) => [name, parameter.schema]),
    ),
    additionalProperties: false,
  });
  const validate = (query: string): Validated<QueryValues> => {
    const values: Record<string, string | number> = {};
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    for (const [name, raw] of new URLSearchParams(query)) {
      const parameter = Object.hasOwn(parameters, name) ? parameters[name] : undefined;
      if (!parameter) {
        errors.push({ field: name, message: 'is not a parameter of this route' });
      } else if (seen.has(name)) {
        errors.push({ field: name, message: 'must be given at most once' });
      } else if (parameter.schema.type === 'integer' && !DECIMAL_INTEGER.test(raw)) {
        errors.push({ field: name, message: `must be ${parameter.expected}` });
      } else {
        values[name] = parameter.schema.type === 'integer' ? Number(raw) : raw;
      }
      seen.add(name);
    }
    if (!check(values)) {
      const failed = new Set((check.errors ?? []).map((error) => error.instancePath.slice(1)));
      for (const field of failed) {
        errors.push({ field, message: `must be ${parameters[field]?.expected ?? 'valid'}` });
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, value: values };
  };
  return Object.assign(validate, { parameters });
}

/**
 * An RFC 3339 time as a Date. The format check accepts what Date cannot represent (a leap second,
 * a lowercase `t`), so what does not parse is refused here rather than becoming NaN.
 */
export function parseRfc3339(value: string, field: string): Validated<Date> {
  const time = new Date(value.toUpperCase());
  return Number.isNaN(time.getTime())
    ? {
        ok: false,
        errors: [
          { field, message: 'must be an RFC 3339 date-time such as 2026-11-22T01:47:42.123Z' },
        ],
      }
    : { ok: true, value: time };
}

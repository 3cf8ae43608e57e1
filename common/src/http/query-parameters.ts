import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { type FieldError, USER_ID_PATTERN, type Validated } from '../domain';

/**
 * JSON Schema of one parameter's value. `type: 'integer'` values are read as decimal integers
 * first and handed over as numbers; every other value as the string given. A `default` is the
 * value a route gets when the parameter is absent (and what its OpenAPI document shows).
 */
export type QueryParameterSchema =
  | {
      readonly type: 'integer';
      readonly minimum?: number;
      readonly maximum?: number;
      readonly default?: number;
    }
  | {
      readonly type: 'string';
      readonly pattern?: string;
      readonly format?: string;
      readonly enum?: readonly string[];
      readonly default?: string;
    };

/** One query parameter: a JSON Schema for its value, and the words a client reads when it is wrong. */
export interface QueryParameter {
  readonly schema: QueryParameterSchema;
  /** What a valid value is, as the error message completes it: "must be {expected}". */
  readonly expected: string;
}

export type QueryParameters = Readonly<Record<string, QueryParameter>>;

/** The value of one parameter as validated: a number for an integer, else the string given. */
type ValueOf<S> = S extends { readonly type: 'integer' } ? number : string;

/**
 * A query's parameters as validated, typed by their schemas: a parameter with a default is
 * always there, one without may be undefined.
 */
export type QueryValues<P extends QueryParameters = QueryParameters> = {
  readonly [K in keyof P]: P[K]['schema'] extends { readonly default: unknown }
    ? ValueOf<P[K]['schema']>
    : ValueOf<P[K]['schema']> | undefined;
};

/** Validates a raw query string (the part after `?`). */
export interface QueryValidator<P extends QueryParameters = QueryParameters> {
  (query: string): Validated<QueryValues<P>>;
  /** What it validates with, as given: the gateway's OpenAPI document shows these very objects. */
  readonly parameters: P;
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
 * What it answers is typed by the parameters' schemas, defaults applied.
 */
export function queryValidator<const P extends QueryParameters>(parameters: P): QueryValidator<P> {
  const entries: [string, QueryParameter][] = Object.entries(parameters);
  const check = ajv.compile({
    type: 'object',
    properties: Object.fromEntries(entries.map(([name, parameter]) => [name, parameter.schema])),
    additionalProperties: false,
  });
  const defaults = entries.flatMap(([name, parameter]): [string, string | number][] =>
    parameter.schema.default === undefined ? [] : [[name, parameter.schema.default]],
  );
  const validate = (query: string): Validated<QueryValues<P>> => {
    const values: Record<string, string | number> = {};
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    for (const [name, raw] of new URLSearchParams(query)) {
      const parameter: QueryParameter | undefined = Object.hasOwn(parameters, name)
        ? parameters[name]
        : undefined;
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
        const parameter: QueryParameter | undefined = parameters[field];
        errors.push({ field, message: `must be ${parameter?.expected ?? 'valid'}` });
      }
    }
    if (errors.length > 0) return { ok: false, errors };
    for (const [name, value] of defaults) values[name] ??= value;
    // The schemas just checked every value against the type QueryValues<P> gives it.
    return { ok: true, value: values as QueryValues<P> };
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

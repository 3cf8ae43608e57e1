import type { Response } from 'express';
import type { FieldError } from '../domain';

/** An RFC 9457 problem: what went wrong, in a form a client can act on. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

/** Thrown by handlers to answer with a problem; anything else thrown is answered 500. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly status: number,
    /** Names the kind of problem; becomes the `type` URI `/problems/<kind>`. */
    readonly kind: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: readonly FieldError[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }

  toDetails(): ProblemDetails {
    const { status, kind, title, detail, errors } = this;
    return { type: `/problems/${kind}`, title, status, detail, ...(errors ? { errors } : {}) };
  }
}

export function sendProblem(res: Response, problem: HttpProblem): void {
  res.status(problem.status).set(problem.headers).type('application/problem+json').send(JSON.stringify(problem.toDetails()));
}

/** The problem type the gateway recognises when an aggregator cannot serve one user. */
export const USER_UNREADABLE_TYPE = '/problems/user-unreadable';

/** A user with a stored event this version cannot read: every other user is still served. */
export function userUnreadableProblem(error: { readonly userId: string; readonly eventId: string }): HttpProblem {
  return new HttpProblem(
    503,
    'user-unreadable',
    'Service Unavailable',
    `User ${error.userId} cannot be read: its event ${error.eventId} is of a kind or shape this version does not know`,
    undefined,
    { 'Retry-After': '60' },
  );
}

export function validationProblem(errors: readonly FieldError[]): HttpProblem {
  const fields = [...new Set(errors.map((error) => error.field))].join(', ');
  return new HttpProblem(400, 'validation-error', 'The request is not valid', `Invalid: ${fields}`, errors);
}

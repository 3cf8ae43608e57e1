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

/** One kind of problem as the catalog (problem-catalog.ts) defines it. */
export interface ProblemType {
  /** `/problems/<kind>`: what a client tells problems apart by. */
  readonly type: string;
  readonly status: number;
  readonly title: string;
  /** One line for the README: what makes the API answer this problem. */
  readonly when: string;
}

export interface ProblemExtras {
  readonly errors?: readonly FieldError[];
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Thrown by handlers to answer with a problem; anything else thrown is mapped by toProblem. Made
 * by the factories in problem-catalog.ts, which hold every type, status, title and wording.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly type: string;
  readonly status: number;
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    problemType: Omit<ProblemType, 'when'>,
    readonly detail: string,
    extras: ProblemExtras = {},
  ) {
    super(detail);
    this.type = problemType.type;
    this.status = problemType.status;
    this.title = problemType.title;
    this.errors = extras.errors;
    this.headers = extras.headers ?? {};
  }

  /**
   * The problem as sent. `typeBase` (the public base URL of the API, no trailing slash) makes
   * `type` absolute, as RFC 9457 §3.1.1 recommends: the same URI wherever the client stands,
   * resolving to the page that documents the problem. Without it `type` stays the catalog's path
   * (answers between our own processes).
   */
  toDetails(typeBase?: string): ProblemDetails {
    const { status, title, detail, errors } = this;
    const type = typeBase === undefined ? this.type : `${typeBase}${this.type}`;
    return { type, title, status, detail, ...(errors ? { errors } : {}) };
  }
}

/** Sends the problem; a problem is never to be kept by a cache (RFC 9111 §5.2.2.5). */
export function sendProblem(res: Response, problem: HttpProblem, typeBase?: string): void {
  res
    .status(problem.status)
    .set(problem.headers)
    .set('Cache-Control', 'no-store')
    .type('application/problem+json')
    .send(JSON.stringify(problem.toDetails(typeBase)));
}

import { type HttpProblem } from '@user-service/common/http';
import { type StoredOutcome } from '@user-service/common/store';
import { type User, type UserState } from '@user-service/common/domain';
import type { Response } from 'express';

/**
 * A write's answer as a value: what is sent, and what a retry with the same Idempotency-Key is
 * sent again (status, body, `Content-Type`, `ETag`, `Location`).
 */
export type WriteOutcome = StoredOutcome;

export function userOutcome(state: UserState, status: 200 | 201, location?: string): WriteOutcome {
  const { user } = state;
  if (!user) throw new Error('a user outcome needs a live user');
  const body: User = { id: user.id, name: user.name, email: user.email, group: user.group };
  return {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      ETag: `"${state.version}"`,
      ...(location ? { Location: location } : {}),
    },
    body: JSON.stringify(body),
    userId: user.id,
  };
}

export const deletedOutcome: WriteOutcome = { status: 204, headers: {}, body: '' };

/** `typeBase`: the public base URL that makes the problem's `type` absolute. */
export function problemOutcome(problem: HttpProblem, typeBase?: string): WriteOutcome {
  return {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json' },
    body: JSON.stringify(problem.toDetails(typeBase)),
  };
}

export function sendOutcome(res: Response, outcome: WriteOutcome): void {
  res.status(outcome.status).set(outcome.headers);
  if (outcome.body === '') res.end();
  else res.send(outcome.body);
}

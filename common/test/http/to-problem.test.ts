import {
  CommandRejectedError,
  TooMuchContentionError,
  UnreadableEventError,
} from '@user-service/common/domain';
import { type HttpProblem, problems, toProblem } from '@user-service/common/http';
import { StoreUnavailableError } from '@user-service/common/store';

/** What the client is sent: comparing errors themselves would compare little more than messages. */
function answer(problem: HttpProblem) {
  return { status: problem.status, details: problem.toDetails(), headers: problem.headers };
}

/** An error as body-parser makes it: a status and a `type` naming what was wrong with the body. */
function bodyParserError(type: string, status: number): Error {
  return Object.assign(new Error(type), { type, status, expose: true });
}

describe('toProblem', () => {
  it('answers a thrown problem as it is', () => {
    const problem = problems.badIfMatch();
    expect(toProblem(problem)).toBe(problem);
  });

  it.each([
    [
      'UserNotFound',
      new CommandRejectedError({ code: 'UserNotFound', userId: 'ann' }),
      problems.userNotFound('ann'),
    ],
    [
      'UserAlreadyExists',
      new CommandRejectedError({ code: 'UserAlreadyExists', userId: 'ann' }),
      problems.userExists('ann'),
    ],
    [
      'VersionMismatch',
      new CommandRejectedError({
        code: 'VersionMismatch',
        userId: 'ann',
        expectedVersion: 2,
        actualVersion: 5,
      }),
      problems.versionMismatch({ userId: 'ann', expectedVersion: 2, actualVersion: 5 }),
    ],
  ])('tells a client why the domain refused a command: %s', (_, error, expected) => {
    expect(answer(toProblem(error))).toEqual(answer(expected));
  });

  it('answers losing too many races as contention, to be retried', () => {
    expect(answer(toProblem(new TooMuchContentionError('ann', 100)))).toEqual(
      answer(problems.contention()),
    );
  });

  it('answers a store that did not confirm as store-unavailable, to be retried', () => {
    expect(answer(toProblem(new StoreUnavailableError('timed out')))).toEqual(
      answer(problems.storeUnavailable()),
    );
  });

  it('answers a user with an unreadable event as user-unreadable, naming the user and event', () => {
    const problem = toProblem(new UnreadableEventError('e7', 'ann', 'unknown type UserRenamed'));
    expect(answer(problem)).toEqual(
      answer(problems.userUnreadable({ userId: 'ann', eventId: 'e7' })),
    );
    // What was wrong with the event is for our logs, not for clients.
    expect(problem.detail).not.toContain('UserRenamed');
  });

  it.each([
    ['entity.parse.failed', 400, problems.malformedJson()],
    ['entity.too.large', 413, problems.bodyTooLarge()],
    ['encoding.unsupported', 415, problems.bodyNotUtf8()],
    ['charset.unsupported', 415, problems.bodyNotUtf8()],
    ['request.aborted', 400, problems.unreadableBody()],
    ['request.size.invalid', 400, problems.unreadableBody()],
    ['stream.encoding.set', 500, problems.unreadableBody()],
  ])('answers the body-parser error %s as a client error', (type, status, expected) => {
    expect(answer(toProblem(bodyParserError(type, status)))).toEqual(answer(expected));
  });

  it('keeps the 4xx status of an error express marked as the client’s', () => {
    const undecodable = Object.assign(new URIError('Failed to decode param'), { status: 400 });
    expect(answer(toProblem(undecodable))).toEqual(answer(problems.unreadableRequest(400)));
    expect(toProblem(Object.assign(new Error('forbidden'), { status: 403 })).status).toBe(403);
  });

  it.each([
    ['an Error', new Error('boom')],
    ['a TypeError', new TypeError('x is undefined')],
    ['an error with a 5xx status', Object.assign(new Error('upstream'), { status: 502 })],
    [
      'an error with a status that is not a number',
      Object.assign(new Error('odd'), { status: 'teapot' }),
    ],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['an object with an unknown type', { type: 'something.else' }],
  ])('answers anything else, such as %s, 500 internal-error without its message', (_, error) => {
    expect(answer(toProblem(error))).toEqual({
      status: 500,
      details: {
        type: '/problems/internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'Something went wrong on our side',
      },
      headers: {},
    });
  });
});

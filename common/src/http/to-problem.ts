import {
  CommandRejectedError,
  type DomainError,
  TooMuchContentionError,
  UnreadableEventError,
} from '../domain';
import { EmailTakenError, StoreUnavailableError } from '../store/errors';
import { MasterKeyError } from '../personal-data/master-keys';
import { HttpProblem } from './problem';
import { problems } from './problem-catalog';

/**
 * The one place where what went wrong becomes what the client is told. Anything it does not
 * know is our fault, answered 500 `internal-error` without its message.
 */
export function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof CommandRejectedError) return rejectionProblem(error.rejection);
  if (error instanceof EmailTakenError) return problems.emailTaken();
  if (error instanceof TooMuchContentionError) return problems.contention();
  if (error instanceof StoreUnavailableError) return problems.storeUnavailable();
  if (error instanceof UnreadableEventError) return problems.userUnreadable(error);
  if (error instanceof MasterKeyError && error.owner !== undefined && isUserId(error.owner))
    return problems.personalDataUnopenable(error.owner);
  return bodyParserProblem(error) ?? statusProblem(error) ?? problems.internalError();
}

function rejectionProblem(rejection: DomainError): HttpProblem {
  switch (rejection.code) {
    case 'UserNotFound':
      return problems.userNotFound(rejection.userId);
    case 'UserAlreadyExists':
      return problems.userExists(rejection.userId);
    case 'VersionMismatch':
      return problems.versionMismatch(rejection);
  }
}

/** body-parser's errors carry a `type` naming what was wrong with the body. */
function bodyParserProblem(error: unknown): HttpProblem | undefined {
  const type =
    typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
  switch (type) {
    case 'entity.parse.failed':
      return problems.malformedJson();
    case 'entity.too.large':
      return problems.bodyTooLarge();
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problems.bodyNotUtf8();
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return problems.unreadableBody();
    default:
      return undefined;
  }
}

/** Express and its parsers mark a request they could not read with a 4xx `status`. */
function statusProblem(error: unknown): HttpProblem | undefined {
  const status =
    typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : 500;
  return status >= 400 && status < 500 ? problems.unreadableRequest(status) : undefined;
}

/** Keys of the system's own are named `$…`, which no user id can be. */
function isUserId(owner: string): boolean {
  return !owner.startsWith('$');
}

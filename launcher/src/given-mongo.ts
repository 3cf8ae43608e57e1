import { type Credentials } from '@user-service/common/config';
import { errorText } from '@user-service/common/observability';
import { MongoClient, MongoServerSelectionError } from 'mongodb';
import { redactConnectionString } from 'mongodb-connection-string-url';

/**
 * How long `npm start` waits for the MongoDB of MONGO_URL before saying it cannot reach it: the
 * driver's default (30 s) is long silence for someone who mistyped a port. The services, once
 * started, wait as long as it takes.
 */
export const REACH_GIVEN_MONGO_MS = 5000;

/** The ways to run without the MongoDB of MONGO_URL, named in every message about it. */
const ALTERNATIVES =
  'Start that MongoDB or correct MONGO_URL; or unset MONGO_URL, and npm start runs a MongoDB of its own ' +
  '(downloaded once, or MONGOMS_SYSTEM_BINARY=/path/to/mongod); or run STORE=memory npm start.';

/**
 * The MongoDB `npm start` was given, connected; or an Error whose message is the one line to
 * show: the address without its credentials, why, and the alternatives.
 */
export async function connectGivenMongo(
  url: string,
  credentials: Credentials | undefined,
  withinMs = REACH_GIVEN_MONGO_MS,
): Promise<MongoClient> {
  try {
    return await MongoClient.connect(url, {
      serverSelectionTimeoutMS: withinMs,
      ...(credentials ? { auth: { ...credentials } } : {}),
    });
  } catch (error) {
    throw new Error(givenMongoProblem(url, error, withinMs), { cause: error });
  }
}

/** One line: which MONGO_URL (never its password), what went wrong, and what else to do. */
export function givenMongoProblem(url: string, error: unknown, withinMs: number): string {
  const address = `MONGO_URL=${withoutCredentials(url)}`;
  const reason = firstLine(error);
  const what =
    error instanceof MongoServerSelectionError
      ? `No MongoDB answered at ${address} within ${withinMs / 1000} s (${reason}).`
      : `MongoDB at ${address} cannot be used (${reason}).`;
  return `${what} ${ALTERNATIVES}`;
}

function withoutCredentials(url: string): string {
  return redactConnectionString(url, { replacementString: '<credentials>' });
}

function firstLine(error: unknown): string {
  const line = errorText(error)
    .split('\n')
    .map((part) => part.trim())
    .find(Boolean);
  return line ?? 'no reason given';
}

import { StoreUnavailableError } from '@user-service/common/store';
import {
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { createServer } from 'node:net';
import { isAuthenticationFailure } from '../../../src/store/mongo/authentication-failure';

/** What mongod answers saslStart/saslContinue with for an unknown user or a wrong password. */
const refused = () =>
  new MongoServerError({
    ok: 0,
    errmsg: 'Authentication failed.',
    code: 18,
    codeName: 'AuthenticationFailed',
  });

/** A port nothing listens on: a connection to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The driver's own server selection failure, from a topology of two members nobody answers on. */
async function selectionFailure(): Promise<MongoServerSelectionError> {
  const hosts = [`127.0.0.1:${await closedPort()}`, `127.0.0.1:${await closedPort()}`];
  const client = new MongoClient(`mongodb://${hosts.join(',')}/?replicaSet=rs0`, {
    serverSelectionTimeoutMS: 300,
  });
  try {
    await client.connect();
  } catch (error) {
    if (error instanceof MongoServerSelectionError) return error;
    throw error;
  } finally {
    await client.close();
  }
  throw new Error('connected to a closed port');
}

describe('telling refused credentials from an outage', () => {
  it('recognizes the server refusing the login, as the first connection of client.connect() rejects with it', () => {
    expect(isAuthenticationFailure(refused())).toBe(true);
  });

  it('recognizes it as the cause of another error', () => {
    expect(
      isAuthenticationFailure(
        new StoreUnavailableError('cannot connect to MongoDB', { cause: refused() }),
      ),
    ).toBe(true);
  });

  it('does not take servers nobody answers on for refused credentials', async () => {
    const outage = await selectionFailure();
    expect(outage.reason?.servers.size).toBe(2);
    expect(isAuthenticationFailure(outage)).toBe(false);
  });

  // After a refused login the driver marks that server unknown, keeping the refusal as its error;
  // a later selection that gives up carries that topology, and the first server's error as its cause.
  it('recognizes it behind a server selection that gave up, whichever server it was refused by', async () => {
    const outage = await selectionFailure();
    const [first, second] = [...outage.reason!.servers.values()];
    second!.error = refused();
    expect(isAuthenticationFailure(outage)).toBe(true);

    first!.error = refused();
    const rebuilt = new MongoServerSelectionError(
      'Server selection timed out after 300 ms',
      outage.reason!,
    );
    expect(rebuilt.cause).toBeInstanceOf(MongoServerError);
    expect(isAuthenticationFailure(rebuilt)).toBe(true);
  });

  it('does not take another server error or a non-error for one', () => {
    expect(
      isAuthenticationFailure(new MongoNetworkError('connect ECONNREFUSED 10.0.0.1:27017')),
    ).toBe(false);
    expect(
      isAuthenticationFailure(
        new MongoServerError({
          ok: 0,
          errmsg: 'not authorized on users',
          code: 13,
          codeName: 'Unauthorized',
        }),
      ),
    ).toBe(false);
    expect(isAuthenticationFailure({ code: 18 })).toBe(false);
    expect(isAuthenticationFailure(undefined)).toBe(false);
  });

  it('stops on an error that is its own cause', () => {
    const loop = new Error('loop');
    loop.cause = loop;
    expect(isAuthenticationFailure(loop)).toBe(false);
  });
});

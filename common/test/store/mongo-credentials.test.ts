import { createLogger } from '@user-service/common/observability';
import { StoreMisconfiguredError } from '@user-service/common/store';
import { connectMongoWhenReachable } from '@user-service/common/store/mongo';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describeWithMongo } from '@user-service/test-support';

// The test replica set runs without auth, but it still checks a login against the users it
// holds, so a user it does not have is refused as a wrong password is in the deployment.
describeWithMongo('connecting to MongoDB with credentials it refuses', (mongoUrl) => {
  it('gives up at once, naming MONGO_USER, never the password, instead of waiting forever', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const log = createLogger({ service: 'gateway', stream });
    const credentials = { username: `nobody_${randomUUID()}`, password: 'wrong-password-123' };

    const outcome = await connectMongoWhenReachable(mongoUrl, 'users', log, {
      timeoutMs: 2000,
      credentials,
    }).then(
      (store) => store.close(),
      (error: unknown) => error,
    );

    expect(outcome).toBeInstanceOf(StoreMisconfiguredError);
    const { message } = outcome as StoreMisconfiguredError;
    expect(message).toContain(
      `MongoDB refused the credentials of MONGO_USER "${credentials.username}"`,
    );
    expect(message).not.toContain(credentials.password);
    // Not one "not reachable yet": waiting cannot make these credentials work.
    expect(lines).toEqual([]);
  });
});

import { MisconfiguredError } from '@user-service/common/config';
import { MongoServerError } from 'mongodb';
import { explainRootRefused } from '../src/root-refused';

describe('explainRootRefused', () => {
  it("turns MongoDB's refusal of root's password into one line naming the way out", () => {
    const refused = new MongoServerError({
      code: 18,
      codeName: 'AuthenticationFailed',
      errmsg: 'Authentication failed.',
    });
    const explained = explainRootRefused(refused);
    expect(explained).toBeInstanceOf(MisconfiguredError);
    expect((explained as Error).message).toMatch(
      /^MongoDB refused root's password \(MONGO_ROOT_PASSWORD_FILE\): .*"Upgrading"$/,
    );
  });

  it('passes any other error on as it is', () => {
    const other = new MongoServerError({
      code: 11600,
      codeName: 'InterruptedAtShutdown',
      errmsg: 'stop',
    });
    expect(explainRootRefused(other)).toBe(other);
  });
});

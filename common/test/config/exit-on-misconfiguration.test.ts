import { ConfigError, exitOnMisconfiguration } from '@user-service/common/config';
import { StoreMisconfiguredError, StoreUnavailableError } from '@user-service/common/store';

/** What exitOnMisconfiguration writes and the code it exits with, the exit stopped short. */
function exitOf(error: unknown): { code: number; written: string } {
  let written = '';
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    written += String(chunk);
    return true;
  });
  const exit = jest.spyOn(process, 'exit').mockImplementation((code) => {
    throw new Error(`exit ${String(code)}`);
  });
  try {
    exitOnMisconfiguration(error);
  } catch (thrown) {
    const code = /^exit (\d+)$/.exec(thrown instanceof Error ? thrown.message : '')?.[1];
    if (code === undefined) throw thrown;
    return { code: Number(code), written };
  } finally {
    write.mockRestore();
    exit.mockRestore();
  }
}

describe('stopping on a configuration that can never work', () => {
  it('stops with one line for a bad variable and for a store that cannot serve as configured', () => {
    expect(exitOf(new ConfigError('MONGO_URL is required'))).toEqual({
      code: 1,
      written: '{"level":"error","message":"MONGO_URL is required"}\n',
    });
    expect(exitOf(new StoreMisconfiguredError('MongoDB is not a replica set'))).toEqual({
      code: 1,
      written: '{"level":"error","message":"MongoDB is not a replica set"}\n',
    });
  });

  it('rethrows anything else, such as a store that is only unreachable for now', () => {
    const unreachable = new StoreUnavailableError('no answer');
    expect(() => exitOf(unreachable)).toThrow(unreachable);
  });
});

import { IDS, runCrashScenario } from './crash-model';

// Sequences the model-based test is known to need, kept so they run every time.
describe('crash regressions', () => {
  const [first, second] = IDS;

  it('does not bring a deleted user back after a restart from a snapshot taken after the delete', async () => {
    await runCrashScenario(1, [
      { kind: 'create', id: first!, n: 1, email: 1, keyed: false },
      { kind: 'delete', id: first!, keyed: false },
      { kind: 'crash', aggregator: 0, midSnapshot: false },
      { kind: 'restart', aggregator: 0 },
      { kind: 'read', id: first! },
    ]);
  });

  it('recovers from dying half-way through writing a snapshot', async () => {
    await runCrashScenario(100, [
      { kind: 'create', id: first!, n: 1, email: 1, keyed: false },
      { kind: 'create', id: second!, n: 2, email: 2, keyed: false },
      { kind: 'update', id: first!, group: 7, email: null, keyed: false },
      { kind: 'crash', aggregator: 0, midSnapshot: true },
      { kind: 'update', id: second!, group: 8, email: null, keyed: false },
      { kind: 'restart', aggregator: 0 },
      { kind: 'read', id: first! },
      { kind: 'read', id: second! },
    ]);
  });

  it('re-creates a deleted id across crashes, continuing its version', async () => {
    await runCrashScenario(7, [
      { kind: 'create', id: first!, n: 1, email: 1, keyed: false },
      { kind: 'delete', id: first!, keyed: false },
      { kind: 'crash', aggregator: 0, midSnapshot: true },
      { kind: 'create', id: first!, n: 3, email: 3, keyed: false },
      { kind: 'restart', aggregator: 0 },
      { kind: 'read', id: first! },
    ]);
  });

  it('keeps the email of a create whose gateway died after storing it, though the client gave up', async () => {
    await runCrashScenario(100, [
      {
        kind: 'gatewayCrash',
        write: { kind: 'create', id: first!, n: 1, email: 0, keyed: true },
        at: 'afterAppend',
        retry: false,
      },
      { kind: 'create', id: second!, n: 2, email: 1, keyed: false },
      { kind: 'read', id: first! },
    ]);
  });

  it('leaves the email free when the gateway died before storing the create', async () => {
    await runCrashScenario(100, [
      {
        kind: 'gatewayCrash',
        write: { kind: 'create', id: first!, n: 1, email: 0, keyed: true },
        at: 'beforeAppend',
        retry: false,
      },
      { kind: 'create', id: second!, n: 2, email: 1, keyed: false },
      { kind: 'read', id: first! },
    ]);
  });

  it('answers the retry of a delete whose gateway died after remembering it as the replay', async () => {
    await runCrashScenario(100, [
      { kind: 'create', id: first!, n: 1, email: 0, keyed: false },
      {
        kind: 'gatewayCrash',
        write: { kind: 'delete', id: first!, keyed: true },
        at: 'afterFinish',
        retry: true,
      },
      { kind: 'create', id: second!, n: 2, email: 1, keyed: false },
    ]);
  });

  it('writes on with every aggregator down, and a settle step waits for none', async () => {
    await runCrashScenario(100, [
      { kind: 'create', id: first!, n: 1, email: 1, keyed: false },
      { kind: 'crash', aggregator: 0, midSnapshot: false },
      { kind: 'crash', aggregator: 1, midSnapshot: true },
      { kind: 'crash', aggregator: 2, midSnapshot: false },
      { kind: 'settle' },
      { kind: 'update', id: first!, group: 4, email: null, keyed: true },
      { kind: 'list' },
      { kind: 'restart', aggregator: 1 },
      { kind: 'settle' },
      { kind: 'read', id: first! },
    ]);
  });

  it('fences an owner paused while the others take over, then lets a fourth join', async () => {
    await runCrashScenario(7, [
      { kind: 'create', id: first!, n: 1, email: 1, keyed: false },
      { kind: 'create', id: second!, n: 2, email: 2, keyed: false },
      { kind: 'pause', aggregator: 0 },
      { kind: 'update', id: first!, group: 5, email: null, keyed: false },
      { kind: 'list' },
      { kind: 'resume', aggregator: 0 },
      { kind: 'join' },
      { kind: 'settle' },
      { kind: 'update', id: second!, group: 6, email: 3, keyed: true },
      { kind: 'list' },
    ]);
  });
});

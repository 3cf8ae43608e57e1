import { IDS, runCrashScenario } from './crash-model';

// Sequences the model-based test is known to need, kept so they run every time.
describe('crash regressions', () => {
  const [first, second] = IDS;

  it('does not bring a deleted user back after a restart from a snapshot taken after the delete', async () => {
    await runCrashScenario(1, [
      { kind: 'create', id: first!, n: 1 },
      { kind: 'delete', id: first! },
      { kind: 'crash', aggregator: 0, midSnapshot: false },
      { kind: 'restart', aggregator: 0 },
      { kind: 'read', id: first! },
    ]);
  });

  it('recovers from dying half-way through writing a snapshot', async () => {
    await runCrashScenario(100, [
      { kind: 'create', id: first!, n: 1 },
      { kind: 'create', id: second!, n: 2 },
      { kind: 'update', id: first!, group: 7 },
      { kind: 'crash', aggregator: 0, midSnapshot: true },
      { kind: 'update', id: second!, group: 8 },
      { kind: 'restart', aggregator: 0 },
      { kind: 'read', id: first! },
      { kind: 'read', id: second! },
    ]);
  });

  it('re-creates a deleted id across crashes, continuing its version', async () => {
    await runCrashScenario(7, [
      { kind: 'create', id: first!, n: 1 },
      { kind: 'delete', id: first! },
      { kind: 'crash', aggregator: 0, midSnapshot: true },
      { kind: 'create', id: first!, n: 3 },
      { kind: 'restart', aggregator: 0 },
      { kind: 'read', id: first! },
    ]);
  });
});

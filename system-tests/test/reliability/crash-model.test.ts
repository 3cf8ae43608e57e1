import fc from 'fast-check';
import {
  AGGREGATORS,
  EMAILS,
  IDS,
  runCrashScenario,
  type Step,
  type WriteStep,
} from './crash-model';

const id = fc.constantFrom(...IDS);
const aggregator = fc.integer({ min: 0, max: AGGREGATORS - 1 });
const email = fc.integer({ min: 0, max: EMAILS.length - 1 });
const keyed = fc.boolean();
const create = fc.record({
  kind: fc.constant('create' as const),
  id,
  n: fc.integer({ min: 0, max: 9 }),
  email,
  keyed,
});
const update = fc.record({
  kind: fc.constant('update' as const),
  id,
  group: fc.integer({ min: 0, max: 9 }),
  email: fc.option(email, { nil: null }),
  keyed,
});
const remove = fc.record({ kind: fc.constant('delete' as const), id, keyed });
const erase = fc.record({ kind: fc.constant('erase' as const), id, keyed });
const write: fc.Arbitrary<WriteStep> = fc.oneof(create, update, remove);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: create },
  { weight: 4, arbitrary: update },
  { weight: 2, arbitrary: remove },
  { weight: 1, arbitrary: erase },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('gatewayCrash' as const),
      write: write.map((chosen) => ({ ...chosen, keyed: true })),
      at: fc.constantFrom('afterBegin', 'beforeAppend', 'afterAppend', 'afterFinish'),
      retry: fc.boolean(),
    }),
  },
  {
    // An erasure destroys its user's key in the append of its event, so one cut short before
    // that append has erased nothing, and one after it has erased everything.
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('gatewayCrash' as const),
      write: erase.map((chosen) => ({ ...chosen, keyed: true })),
      at: fc.constantFrom('afterBegin', 'beforeAppend', 'afterAppend', 'afterFinish'),
      retry: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('list' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      aggregator,
      midSnapshot: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), aggregator }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), aggregator }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), aggregator }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('join' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const) }) },
);

describe('crashes at random points lose nothing (model-based)', () => {
  const ran = {
    sequences: 0,
    operations: 0,
    lists: 0,
    exact: 0,
    crashes: 0,
    midSnapshot: 0,
    restarts: 0,
    pauses: 0,
    joins: 0,
    settles: 0,
    keyed: 0,
    emailChanges: 0,
    erasures: 0,
    erasureCrashes: 0,
    gatewayCrashes: 0,
    retried: 0,
    deaths: 0,
  };

  // One line of figures per run, for RELIABILITY.md.
  afterAll(() => {
    process.stdout.write(
      `crash model: ${ran.sequences} sequences, ${ran.operations} API operations, ${ran.lists} list steps (a list and a count each; ${ran.exact} of their answers exact and compared with the model), ${ran.crashes} crash steps ` +
        `(${ran.midSnapshot} during a snapshot), ${ran.restarts} restart steps, ${ran.pauses} pause steps (each past its lease), ${ran.joins} join steps, ${ran.settles} settle steps; ` +
        `${ran.keyed} keyed writes each sent twice, ${ran.emailChanges} email changes, ${ran.erasures} erasures (${ran.erasureCrashes} of them in a gateway crash step), ` +
        `${ran.gatewayCrashes} gateway crash steps (${ran.deaths} died mid-write, the rest were refused before their step; ${ran.retried} retried after a restart)\n`,
    );
  });

  it('keeps every answer, every list and count that says exact, and every email held once equal to the model, and every aggregator equal to a fold of the store', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 7, 100),
        fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }),
        (snapshotEvery, steps) => {
          ran.sequences += 1;
          for (const { kind, ...rest } of steps) {
            if (kind === 'crash') {
              ran.crashes += 1;
              if ('midSnapshot' in rest && rest.midSnapshot) ran.midSnapshot += 1;
            } else if (kind === 'restart') ran.restarts += 1;
            else if (kind === 'pause') ran.pauses += 1;
            else if (kind === 'join') ran.joins += 1;
            else if (kind === 'settle') ran.settles += 1;
            else if (kind === 'resume') continue;
            else if (kind === 'list') ran.lists += 1;
            else ran.operations += 1;
            if ('keyed' in rest && rest.keyed) ran.keyed += 1;
            if (kind === 'update' && 'email' in rest && rest.email !== null) ran.emailChanges += 1;
            if (kind === 'erase') ran.erasures += 1;
            if (kind === 'gatewayCrash' && 'write' in rest && rest.write.kind === 'erase') {
              ran.erasures += 1;
              ran.erasureCrashes += 1;
            }
            if (kind === 'gatewayCrash') {
              ran.gatewayCrashes += 1;
              if ('retry' in rest && rest.retry) ran.retried += 1;
            }
          }
          return runCrashScenario(snapshotEvery, steps).then(({ exactAnswers, gatewayDeaths }) => {
            ran.exact += exactAnswers;
            ran.deaths += gatewayDeaths;
          });
        },
      ),
      { numRuns: 60 },
    );
  }, 600_000);
});

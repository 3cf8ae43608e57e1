import { type ClientSession, Timestamp } from 'mongodb';
import { CausalClock } from '../../../src/store/mongo/causal-clock';

/** Stands in for the driver's session only to record what the clock asks of it. */
class FakeSession {
  operationTime: Timestamp | undefined;
  ended = false;
  advanceOperationTime(time: Timestamp): void {
    this.operationTime = time;
  }
  async endSession(): Promise<void> {
    this.ended = true;
  }
}

function clockWithSessions() {
  const sessions: FakeSession[] = [];
  const clock = new CausalClock({
    startSession: () => {
      const session = new FakeSession();
      sessions.push(session);
      return session as unknown as ClientSession;
    },
  });
  return { clock, sessions };
}

const at = (t: number) => new Timestamp({ t, i: 1 });

describe('causal clock', () => {
  it('makes reads wait for the latest write noted, never an older one', async () => {
    const { clock, sessions } = clockWithSessions();
    clock.noteWrite({ operationTime: at(20) });
    clock.noteWrite({ operationTime: at(10) });
    clock.noteWrite({});

    const seen = await clock.read(async (session) => session.operationTime);
    expect(seen).toEqual(at(20));
    expect(sessions.at(-1)?.ended).toBe(true);
  });

  it('reads without a causal point before any write, and ends the session when the read fails', async () => {
    const { clock, sessions } = clockWithSessions();
    await expect(
      clock.read(async (session) => {
        expect(session.operationTime).toBeUndefined();
        throw new Error('read failed');
      }),
    ).rejects.toThrow('read failed');
    expect(sessions[0]?.ended).toBe(true);
  });

  it('gives the operation time a read saw, taken before its session ends', async () => {
    const { clock, sessions } = clockWithSessions();
    clock.noteWrite({ operationTime: at(20) });
    const timed = await clock.readTimed(async (session) => {
      (session as unknown as FakeSession).operationTime = at(25);
      return 'found';
    });
    expect(timed).toEqual({ result: 'found', operationTime: at(25) });
    expect(sessions[0]?.ended).toBe(true);
  });

  it('makes a read wait for what an earlier read saw, so no read sees less than the one before it', async () => {
    // Review M3: a request reads a state on one primary, then a key on a newly elected one whose
    // majority snapshot still lags; the second read must wait until it includes the first's point.
    const { clock } = clockWithSessions();
    await clock.read(async (session) => {
      (session as unknown as FakeSession).operationTime = at(30);
    });
    const waitedFor = await clock.read(async (session) => session.operationTime);
    expect(waitedFor).toEqual(at(30));
  });
});

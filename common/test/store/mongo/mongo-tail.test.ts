import {
  HistoryLostError,
  StoreUnavailableError,
  SubscriptionEndedError,
} from '@user-service/common/store';
import { type ChangeStreamDocument, MongoServerError, type ResumeToken, Timestamp } from 'mongodb';
import { MongoTail, type TailStream } from '../../../src/store/mongo/mongo-tail';
import { ResumeTokenReader } from '../../../src/store/mongo/resume-token';
import type { EventDocument } from '../../../src/store/mongo/schema';

const quietTokens = () => new ResumeTokenReader({ error: () => undefined });

/** A post-batch resume token of cluster time (t, i), in the server's v1 KeyString form. */
function tokenAt(t: number, i: number): ResumeToken {
  const bytes = Buffer.alloc(9);
  bytes[0] = 0x82;
  bytes.writeUInt32BE(t, 1);
  bytes.writeUInt32BE(i, 5);
  return { _data: `${bytes.toString('hex').toUpperCase()}2B0229296E04` };
}

/** What a driver ChangeStream would answer, one tryNext at a time; it is the only thing faked. */
class FakeStream implements TailStream {
  resumeToken: ResumeToken = null;
  closed = false;
  constructor(
    private readonly answers: (ChangeStreamDocument<EventDocument> | null | Error | (() => void))[],
  ) {}

  async tryNext(): Promise<ChangeStreamDocument<EventDocument> | null> {
    for (;;) {
      const answer = this.answers.shift();
      if (answer === undefined) return null;
      if (answer instanceof Error) throw answer;
      if (typeof answer === 'function') {
        answer(); // a side effect of the batch, such as a new post-batch token
        continue;
      }
      return answer;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const document: EventDocument = {
  _id: 'e1',
  userId: 'ada',
  version: 1,
  partition: 3,
  type: 'UserCreated',
  data: { name: 'Ada', email: 'ada@example.com', group: 1 },
  occurredAt: new Date('2026-01-01T00:00:00Z'),
};

function insert(fullDocument: EventDocument, time: Timestamp): ChangeStreamDocument<EventDocument> {
  return {
    _id: tokenAt(time.t, time.i),
    operationType: 'insert',
    clusterTime: time,
    fullDocument,
    ns: { db: 'users', coll: 'Events' },
    documentKey: { _id: fullDocument._id },
  } as ChangeStreamDocument<EventDocument>;
}

describe('MongoDB tail', () => {
  it('gives a change with its cluster time and resume token as the checkpoint', async () => {
    const time = new Timestamp({ t: 100, i: 2 });
    const tail = new MongoTail(new FakeStream([insert(document, time)]), quietTokens());
    const step = await tail.next();
    expect(step).toEqual({
      kind: 'change',
      event: {
        eventId: 'e1',
        userId: 'ada',
        version: 1,
        partition: 3,
        type: 'UserCreated',
        data: document.data,
        occurredAt: document.occurredAt,
        requestId: null,
        // Stored without one, as events were before they carried their schema.
        schemaVersion: 1,
      },
      checkpoint: { clusterTime: time, resumeToken: tokenAt(100, 2) },
    });
  });

  it('after an empty batch, reports the post-batch token’s time as its position', async () => {
    const stream = new FakeStream([() => (stream.resumeToken = tokenAt(200, 7)), null]);
    const tail = new MongoTail(stream, quietTokens());
    expect(await tail.next()).toEqual({
      kind: 'idle',
      position: { clusterTime: new Timestamp({ t: 200, i: 7 }), resumeToken: tokenAt(200, 7) },
    });
  });

  it('has no position before the server has sent a token', async () => {
    expect(await new MongoTail(new FakeStream([null]), quietTokens()).next()).toEqual({
      kind: 'idle',
      position: null,
    });
  });

  it.each([
    ['ChangeStreamHistoryLost (286)', 286],
    ['ChangeStreamFatalError (280)', 280],
  ])('turns %s into HistoryLostError', async (_, code) => {
    const tail = new MongoTail(
      new FakeStream([new MongoServerError({ code, errmsg: 'resume point gone' })]),
      quietTokens(),
    );
    await expect(tail.next()).rejects.toBeInstanceOf(HistoryLostError);
  });

  it('turns any other failure into StoreUnavailableError, keeping the cause', async () => {
    const cause = new MongoServerError({
      code: 13,
      codeName: 'Unauthorized',
      errmsg: 'not authorized',
    });
    const failure = await new MongoTail(new FakeStream([cause]), quietTokens())
      .next()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).cause).toBe(cause);
  });

  it('ends on an invalidate: Events was dropped or renamed', async () => {
    const invalidate = {
      _id: tokenAt(300, 1),
      operationType: 'invalidate',
      clusterTime: new Timestamp({ t: 300, i: 1 }),
    };
    const tail = new MongoTail(
      new FakeStream([invalidate as ChangeStreamDocument<EventDocument>]),
      quietTokens(),
    );
    await expect(tail.next()).rejects.toMatchObject({
      name: 'SubscriptionEndedError',
      reason: 'stream-invalidated',
    });
  });

  it('ends when the server closed the stream, but not when it was closed here', async () => {
    const closedByServer = new FakeStream([]);
    closedByServer.closed = true;
    await expect(new MongoTail(closedByServer, quietTokens()).next()).rejects.toBeInstanceOf(
      SubscriptionEndedError,
    );

    const tail = new MongoTail(new FakeStream([]), quietTokens());
    await tail.close();
    expect(await tail.next()).toEqual({ kind: 'idle', position: null });
  });

  it('ends with malformed-event on an event without a version, naming the event', async () => {
    const broken = { ...document, version: undefined } as unknown as EventDocument;
    const tail = new MongoTail(
      new FakeStream([insert(broken, new Timestamp({ t: 1, i: 1 }))]),
      quietTokens(),
    );
    await expect(tail.next()).rejects.toMatchObject({
      reason: 'malformed-event',
      message: expect.stringContaining('e1'),
    });
  });
});

describe('a resume token that does not decode', () => {
  it('is said once, at error level, without its content, and leaves the position unknown', async () => {
    const errors: [string, Record<string, unknown>][] = [];
    const tokens = new ResumeTokenReader({
      error: (message, fields) => errors.push([message, fields]),
    });
    const unknownForm: ResumeToken = { _data: '0A00112233445566778899AABBCCDD' };
    for (const stream of [new FakeStream([null]), new FakeStream([null])]) {
      stream.resumeToken = unknownForm;
      expect(await new MongoTail(stream, tokens).next()).toEqual({ kind: 'idle', position: null });
    }

    expect(errors).toHaveLength(1);
    const [message, fields] = errors[0]!;
    expect(message).toMatch(/resume token/);
    expect(fields).toEqual({
      resumeToken: { dataType: 'hex string', length: 30, firstByte: '0A' },
    });
    expect(JSON.stringify(errors)).not.toContain('112233');
  });

  it('is not reported for a stream that has no token yet, nor for one that decodes', async () => {
    const errors: unknown[] = [];
    const tokens = new ResumeTokenReader({ error: (...line) => errors.push(line) });
    const fresh = new FakeStream([null]);
    const decoding = new FakeStream([null]);
    decoding.resumeToken = tokenAt(100, 1);
    await new MongoTail(fresh, tokens).next();
    await new MongoTail(decoding, tokens).next();
    expect(errors).toEqual([]);
  });
});

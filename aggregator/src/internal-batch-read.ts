import { type HttpProblem, problems } from '@user-service/common/http';
import { validateUserId } from '@user-service/common/domain';
import { readsOf } from './aggregator-reads';
import { answerRead, asAnswer, type ReadFloor } from './internal-read';
import { answerPlainly, type PlainRead } from './plain-answer';

export const BATCH_READ_PATH = '/internal/user-reads';
/** Reads one batch may carry: a gateway sends what arrived in one turn of its event loop. */
export const MAX_BATCH_READS = 64;

/**
 * GET /internal/user-reads?reads=ann:3,bob:0,eve:7:deleted: several reads in one exchange, each
 * `id:minVersion`, with `:deleted` when the caller's write was a delete, answered in order
 * (`{ answers: [{ status, body }] }`) as GET /internal/users/:id would answer each, except that
 * none waits: one that has not reached its version is 409 at once, and the gateway asks for it
 * alone, so that it does not hold back the others. A gateway under load sends the reads of one
 * turn of its event loop together, so that each read does not pay an HTTP exchange of its own.
 * The batch is 200 once it is well formed; each read's own status is in its answer.
 */
export const serveBatchRead: PlainRead = (served, req, res, reads, log) =>
  answerPlainly(req, res, log, BATCH_READ_PATH, async () => {
    try {
      const asked = askedReads(req.url ?? '');
      const answers = await Promise.all(
        asked.map(async ({ userId, floor }) => {
          try {
            const partitionReads = readsOf(served, [served.partitionOf(userId)]);
            return await answerRead(partitionReads, userId, floor);
          } catch (error) {
            return asAnswer(error);
          }
        }),
      );
      for (const { status } of answers) reads.inc({ status: String(status) });
      return { status: 200, body: { answers } };
    } catch (error) {
      const refused = asAnswer(error);
      reads.inc({ status: String(refused.status) });
      return refused;
    }
  });

/** Whether `url` names the batch read (with any query). */
export function isBatchRead(url: string): boolean {
  return url === BATCH_READ_PATH || url.startsWith(`${BATCH_READ_PATH}?`);
}

function askedReads(url: string): Array<{ userId: string; floor: ReadFloor }> {
  const query = new URLSearchParams(url.slice(BATCH_READ_PATH.length + 1));
  const given = query.get('reads');
  if (given === null || query.size !== 1) throw invalid('exactly one `reads` parameter');
  const items = given.split(',');
  if (items.length > MAX_BATCH_READS) throw invalid(`at most ${MAX_BATCH_READS} reads`);
  return items.map((item) => {
    const [id, version = '', deleted, ...rest] = item.split(':');
    const valid = validateUserId(id);
    if (!valid.ok) throw problems.validationError(valid.errors);
    const minVersion = Number(version);
    if (!/^\d+$/.test(version) || !Number.isSafeInteger(minVersion) || rest.length > 0)
      throw invalid('`id:minVersion` or `id:minVersion:deleted` for each read');
    if (deleted !== undefined && deleted !== 'deleted')
      throw invalid('`:deleted` or nothing after a read’s version');
    return {
      userId: valid.value,
      floor: { minVersion, deleted: deleted !== undefined, waitMs: 0 },
    };
  });
}

function invalid(expected: string): HttpProblem {
  return problems.validationError([{ field: 'reads', message: `expected ${expected}` }]);
}

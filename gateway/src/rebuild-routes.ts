import { problems } from '@user-service/common/http';
import { currentStatus, type RebuildStatus, type Store } from '@user-service/common/store';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

/** Where a rebuild's status is read. */
function rebuildLocation(id: string): string {
  return `/admin/projections/users/rebuilds/${encodeURIComponent(id)}`;
}

/**
 * `POST /admin/projections/users/rebuild`: asks for the users projection to be folded again from
 * the log into a new generation (the aggregators do it, partition by partition, while serving);
 * 202 with where to watch it. A rebuild already running is answered instead of a second one.
 */
export function requestRebuildRoute(context: { readonly store: Store }) {
  return async (_req: Request, res: Response): Promise<void> => {
    const { rebuilds } = context.store;
    const { rebuild } = await rebuilds.request(randomUUID(), new Date());
    const status = await currentStatus(rebuilds, rebuild);
    res.status(202).location(rebuildLocation(rebuild.id)).json(statusBody(status));
  };
}

/** `GET /admin/projections/users/rebuilds/{rebuildId}`: the latest rebuild, and how far it is. */
export function rebuildStatusRoute(context: { readonly store: Store }) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = String(req.params.rebuildId);
    const latest = await context.store.rebuilds.latest();
    if (!latest || latest.id !== id) throw problems.rebuildNotFound(id);
    res.json(statusBody(await currentStatus(context.store.rebuilds, latest)));
  };
}

function statusBody(status: RebuildStatus) {
  return { ...status, requestedAt: status.requestedAt.toISOString() };
}

/** Sends one request to Grafana, as `fetch` does. */
export type Send = (url: string, init: RequestInit) => Promise<Response>;

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * Changes Grafana's admin password through its HTTP API (Grafana reads its password file only
 * when it creates its database, so writing the file alone changes nothing). Repeatable, as
 * changeRootPassword is: a run that died before the file was replaced finds `next` taken already.
 */
export async function changeGrafanaPassword(
  send: Send,
  grafana: string,
  user: string,
  current: string,
  next: string,
): Promise<'changed' | 'already'> {
  const changed = await send(`${grafana}/api/user/password`, {
    method: 'PUT',
    headers: { authorization: basic(user, current), 'content-type': 'application/json' },
    body: JSON.stringify({ oldPassword: current, newPassword: next, confirmNew: next }),
  });
  if (changed.ok) return 'changed';
  if (changed.status !== 401)
    throw new Error(`Grafana answered ${changed.status} to the change of ${user}'s password`);
  const already = await send(`${grafana}/api/user`, {
    headers: { authorization: basic(user, next) },
  });
  if (already.ok) return 'already';
  throw new Error(`Grafana takes neither the current nor the new password of ${user}`);
}

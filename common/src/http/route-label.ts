import type { Application } from 'express';

/** The express setting holding an app's route aliases (see canonicalRoute). */
const ROUTE_ALIASES = 'route aliases';

/** Path prefixes `app` also answers under another name, mapped to the name they stand for. */
export function setRouteAliases(app: Application, aliases: Readonly<Record<string, string>>): void {
  app.set(ROUTE_ALIASES, aliases);
}

export function routeAliasesOf(app: Application): Readonly<Record<string, string>> {
  const aliases: unknown = app.get(ROUTE_ALIASES);
  return typeof aliases === 'object' && aliases !== null
    ? (aliases as Readonly<Record<string, string>>)
    : {};
}

/**
 * The route a request is counted and logged under: the template it matched, as the API documents
 * it, so that one route is one series however a client spelled the path.
 * - A trailing slash: a router's `/` route under `/api/user` makes `/api/user/`.
 * - Aliases: a prefix mounted under a second name (`/api/users` for `/api/user`).
 * `unmatched` (no route) stays as it is.
 */
export function canonicalRoute(
  template: string,
  aliases: Readonly<Record<string, string>> = {},
): string {
  const trimmed = template.length > 1 && template.endsWith('/') ? template.slice(0, -1) : template;
  for (const [alias, canonical] of Object.entries(aliases)) {
    if (trimmed === alias || trimmed.startsWith(`${alias}/`))
      return `${canonical}${trimmed.slice(alias.length)}`;
  }
  return trimmed;
}

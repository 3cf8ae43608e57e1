import {
  API_BODY_LIMIT,
  jsonBody,
  problems,
  type QueryParameters,
  type QueryValidator,
  type QueryValues,
} from '@user-service/common/http';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import {
  HEADER_PARAMETERS,
  JSON_TYPE,
  type Meanings,
  PATH_PARAMETERS,
  problemResponses,
  queryParameters,
} from './openapi-components';
import type {
  OperationObject,
  ParameterObject,
  PathItemObject,
  ProblemAnswers,
  ProblemKey,
  ResponseObject,
  SchemaObject,
} from './openapi-types';
import type { Scope } from './access-tokens';
import { validQuery } from './request-parts';

// One route table for the gateway: each route is declared once (gateway-routes.ts), and from the
// table come its express registration, the route template its logs and metrics carry, the
// `Allow` of every path (405s and OPTIONS) and the OpenAPI document's `paths`.

export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the OpenAPI document says of a route that the table cannot derive. */
export interface RouteOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
}

/** A request body: parsed (and refused when of another type or too large) before the handler runs. */
export interface RouteBody {
  readonly description: string;
  readonly schema: SchemaObject;
  /** Its media type, `application/json` unless said (a merge patch would say its own). */
  readonly mediaType?: string;
  /** How it is parsed, the API's JSON body parser unless said. */
  readonly parse?: readonly RequestHandler[];
}

/** A route's handler, given its query as validated: typed by the route's parameters, defaults applied. */
export type RouteHandler<V> = (
  req: Request,
  res: Response,
  query: V,
  next: NextFunction,
) => unknown;

interface RouteFields {
  readonly method: RouteMethod;
  /** As OpenAPI writes it, `{id}` for a parameter; also answered under `/api/users` and with a trailing slash. */
  readonly path: string;
  readonly operation: RouteOperation;
  /** What each query parameter means on this route, beyond its schema. */
  readonly queryMeanings?: Meanings;
  /** Request headers the route reads (X-Request-Id, which every route reads, aside). */
  readonly headers?: readonly ParameterObject[];
  readonly body?: RouteBody;
  /** Its answers other than problems, by status. */
  readonly answers: Readonly<Record<string, ResponseObject>>;
  /** The problems it can answer, by status. */
  readonly problems: ProblemAnswers;
  /** A write that takes an `Idempotency-Key`: a retry may get a remembered problem again. */
  readonly idempotent?: boolean;
  /** What an access token must grant to call it; none for probes, metrics and documentation. */
  readonly scope?: Scope;
}

/** One route of the table, its query's type erased: what the derivations below read. */
export interface Route<C> extends RouteFields {
  /** The query parameters it takes; without, it ignores the query (probes and documentation). */
  readonly query: QueryValidator | undefined;
  /** Its express handler in a context; undefined for a route the base app serves (/healthz, /metrics). */
  readonly handler: ((context: C) => RequestHandler) | undefined;
}

/** A route that validates its query before its handler runs, and hands it over typed. */
export function route<C, P extends QueryParameters>(
  fields: RouteFields & {
    readonly query: QueryValidator<P>;
    readonly handle: (context: C) => RouteHandler<QueryValues<NoInfer<P>>>;
  },
): Route<C> {
  const { handle, query, ...rest } = fields;
  return {
    ...rest,
    query,
    handler: (context) => {
      const run = handle(context);
      return (req, res, next) => run(req, res, validQuery(req, query), next);
    },
  };
}

/** A route that takes no query parameters to validate (probes and documentation ignore them). */
export function queryFreeRoute<C>(
  fields: RouteFields & { readonly handle: (context: C) => RequestHandler },
): Route<C> {
  const { handle, ...rest } = fields;
  return { ...rest, query: undefined, handler: handle };
}

/** A route the base app serves before the table's (`/healthz`, `/metrics`): documented, and its other methods answered. */
export function baseAppRoute<C>(fields: RouteFields): Route<C> {
  return { ...fields, query: undefined, handler: undefined };
}

/** The order `Allow` lists methods in. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The methods a path takes, as `Allow` lists them: HEAD wherever GET is, OPTIONS everywhere. */
export function allowOf(routes: readonly Route<never>[], path: string): string {
  const methods = new Set<string>(
    routes.filter((candidate) => candidate.path === path).map((candidate) => candidate.method),
  );
  if (methods.size === 0) throw new Error(`no route has the path ${path}`);
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return METHOD_ORDER.filter((method) => methods.has(method)).join(', ');
}

/** The paths of the table, each once, in the table's order. */
export function pathsOf(routes: readonly Route<never>[]): string[] {
  return [...new Set(routes.map((candidate) => candidate.path))];
}

/** `/api/user/{id}` → `/api/user/:id`: the template as express matches it, and as logs and metrics name it. */
export function expressTemplate(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/** The express paths a template answers at: `/api/user…` also under the alias `/api/users…`. */
function expressPaths(path: string): string[] {
  const template = expressTemplate(path);
  const alias = template.replace(/^\/api\/user(?=\/|$)/, '/api/users');
  return alias === template ? [template] : [template, alias];
}

/** First handler of every route: names the route by its template, for logs and metrics. */
function remember(path: string): RequestHandler {
  const template = expressTemplate(path);
  return (_req, res, next) => {
    res.locals.route = template;
    next();
  };
}

/**
 * For a path's other methods: OPTIONS is answered 204 with `Allow` (and `Accept-Patch` where
 * PATCH takes a patch format, RFC 5789 §3.1), any other 405 with it.
 */
function otherMethods(allow: string, acceptPatch: string | undefined): RequestHandler {
  return (req, res) => {
    if (req.method !== 'OPTIONS') throw problems.methodNotAllowed(req.method, allow);
    res.status(204).set('Allow', allow);
    if (acceptPatch !== undefined) res.set('Accept-Patch', acceptPatch);
    res.end();
  };
}

/** The patch formats PATCH on `path` takes, as `Accept-Patch` lists them; undefined without PATCH. */
function acceptPatchOf(routes: readonly Route<never>[], path: string): string | undefined {
  const patch = routes.find((candidate) => candidate.path === path && candidate.method === 'PATCH');
  return patch?.body?.mediaType;
}

const LOWERCASE_METHOD = {
  GET: 'get',
  POST: 'post',
  PUT: 'put',
  PATCH: 'patch',
  DELETE: 'delete',
} as const satisfies Record<RouteMethod, string>;

/**
 * Registers the table on a router, in its order (a concrete path such as `/api/user/count` is
 * declared before the template it would also match): each route, then for each path the answer
 * to its other methods.
 */
export function registerRoutes<C>(
  router: Router,
  routes: readonly Route<C>[],
  context: C,
  guard?: (scope: Scope) => RequestHandler,
): void {
  for (const declared of routes) {
    if (!declared.handler) continue;
    router[LOWERCASE_METHOD[declared.method]](
      expressPaths(declared.path),
      remember(declared.path),
      // Before the body is read: a caller without the scope learns nothing more.
      ...(guard && declared.scope ? [guard(declared.scope)] : []),
      ...(declared.body ? (declared.body.parse ?? jsonBody(API_BODY_LIMIT)) : []),
      declared.handler(context),
    );
  }
  for (const path of pathsOf(routes)) {
    router.all(
      expressPaths(path),
      remember(path),
      otherMethods(allowOf(routes, path), acceptPatchOf(routes, path)),
    );
  }
}

/** The OpenAPI `paths` of the table: each path with its operations and what its other methods get. */
export function openApiPaths(routes: readonly Route<never>[]): Record<string, PathItemObject> {
  const paths: Record<string, PathItemObject> = {};
  for (const path of pathsOf(routes)) {
    const allow = allowOf(routes, path);
    const item: Record<string, unknown> = {
      description: `\`OPTIONS\` answers 204 with \`Allow: ${allow}\`; any other method 405 \`method-not-allowed\` with the same \`Allow\`.`,
    };
    for (const declared of routes.filter((candidate) => candidate.path === path)) {
      item[LOWERCASE_METHOD[declared.method]] = operationOf(declared);
    }
    paths[path] = item as PathItemObject;
  }
  return paths;
}

/**
 * Problems any route can answer, whatever it declares: the base app refuses a request with two
 * Host fields before any route runs.
 */
const ANY_ROUTE: ProblemAnswers = { 400: ['badHost'] };

/** Problems any route of the API answers: its consistency token is read before the route runs. */
const ANY_API_ROUTE: ProblemAnswers = {
  400: ['invalidConsistencyToken', 'foreignConsistencyToken'],
};

/** Whether the route is one of the API's (`/api/…`), which read `X-Consistency-Token`. */
function isApiRoute(declared: Route<never>): boolean {
  return declared.path.startsWith('/api/');
}

/** The route's problems and those any route can answer, merged status by status. */
function problemsOf(declared: Route<never>): ProblemAnswers {
  const merged: Partial<Record<number, readonly ProblemKey[]>> = {
    ...declared.problems,
    ...(declared.scope ? { 401: ['bearerTokenRequired'], 403: ['insufficientScope'] } : {}),
  };
  const common = isApiRoute(declared) ? [ANY_ROUTE, ANY_API_ROUTE] : [ANY_ROUTE];
  for (const [status, keys] of common.flatMap((answers) => Object.entries(answers))) {
    const code = Number(status);
    merged[code] = [...(merged[code] ?? []), ...(keys ?? [])];
  }
  return merged;
}

function operationOf(declared: Route<never>): OperationObject {
  const { operation, body, idempotent = false } = declared;
  const pathParameters = [...declared.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const parameter = name === undefined ? undefined : PATH_PARAMETERS[name];
    if (!parameter) throw new Error(`no OpenAPI parameter for {${name}} in ${declared.path}`);
    return parameter;
  });
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description === undefined ? {} : { description: operation.description }),
    tags: [operation.tag],
    parameters: [
      ...pathParameters,
      ...(declared.query ? queryParameters(declared.query, declared.queryMeanings) : []),
      ...(declared.headers ?? []),
      ...(isApiRoute(declared) ? [HEADER_PARAMETERS.ConsistencyToken] : []),
      HEADER_PARAMETERS.RequestId,
      ...(idempotent ? [HEADER_PARAMETERS.IdempotencyKey] : []),
    ],
    ...(body
      ? {
          requestBody: {
            description: body.description,
            required: true,
            content: { [body.mediaType ?? JSON_TYPE]: { schema: body.schema } },
          },
        }
      : {}),
    responses: { ...declared.answers, ...problemResponses(problemsOf(declared), idempotent) },
    security: declared.scope ? [{ [BEARER_SCHEME]: [declared.scope] }] : [],
  };
}

/** The name of the bearer-token scheme under `components/securitySchemes`. */
export const BEARER_SCHEME = 'accessToken';

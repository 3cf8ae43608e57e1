import {
  HTTP_METHODS,
  type HttpMethod,
  type OpenApiDocument,
  openApiDocument,
  type OperationObject,
  type ResponseObject,
  type SchemaObject,
} from '@user-service/gateway';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** One answer of the gateway, with the request that got it. */
export interface Exchange {
  readonly method: string;
  /** As sent: the alias, a trailing slash and the query included. */
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * The response headers that are part of the API: each must be declared on the answer that
 * carries it. Transport headers (Content-Length, Date, Connection, Keep-Alive, ...) are HTTP's.
 */
const API_HEADERS = [
  'etag',
  'location',
  'link',
  'x-consistency',
  'retry-after',
  'idempotent-replayed',
  'allow',
  'www-authenticate',
  'x-request-id',
];

const COMPONENTS_ID = 'https://user-service.test/openapi/components';

const document: OpenApiDocument = openApiDocument();
// OpenAPI 3.1 schemas are JSON Schema 2020-12, with the formats ajv-formats knows.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema({ $id: COMPONENTS_ID, $defs: withComponentRefs(document.components.schemas) });
const compiled = new Map<SchemaObject, ValidateFunction>();
// Compiled up front, so that a schema ajv cannot compile fails the first request, not the one
// that happens to need it.
for (const item of Object.values(document.paths)) {
  for (const method of HTTP_METHODS) {
    for (const response of Object.values(item[method]?.responses ?? {})) compileResponse(response);
  }
}
for (const response of Object.values(document.components.responses)) compileResponse(response);

function compileResponse(response: ResponseObject): void {
  for (const header of Object.values(response.headers ?? {})) validatorOf(header.schema);
  for (const content of Object.values(response.content ?? {})) validatorOf(content.schema);
}

/**
 * The document's `#/components/schemas/X` point into the document; here the components are a
 * schema of their own, so each reference is pointed there.
 */
function withComponentRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withComponentRefs) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string'
        ? inner.replace(/^#\/components\/schemas\//, `${COMPONENTS_ID}#/$defs/`)
        : withComponentRefs(inner),
    ]),
  ) as T;
}

function validatorOf(schema: SchemaObject): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(withComponentRefs(schema));
    compiled.set(schema, validate);
  }
  return validate;
}

/** What is wrong with `value` by `schema`, or undefined when nothing is. */
function violation(schema: SchemaObject, value: unknown, name: string): string | undefined {
  const validate = validatorOf(schema);
  return validate(value) ? undefined : ajv.errorsText(validate.errors, { dataVar: name });
}

/** The path as the document writes it: `/api/users` is `/api/user`, a trailing slash dropped. */
function documentedForm(sent: string): string {
  const path = (sent.split('?', 1)[0] ?? '').replace(/^\/api\/users(?=\/|$)/, '/api/user');
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

function templateMatches(template: string, path: string): boolean {
  const expected = template.split('/');
  const actual = path.split('/');
  return (
    expected.length === actual.length &&
    expected.every((part, index) =>
      /^\{\w+\}$/.test(part) ? actual[index] !== '' : part === actual[index],
    )
  );
}

/** Documented paths that match, concrete before templated, as OpenAPI matches them. */
function matchingTemplates(path: string): string[] {
  const parameters = (template: string) => template.split('{').length;
  return Object.keys(document.paths)
    .filter((template) => templateMatches(template, path))
    .sort((a, b) => parameters(a) - parameters(b));
}

function methodOf(method: string): HttpMethod | undefined {
  // Every GET also answers HEAD, as the document says; a HEAD answer is a GET answer's head.
  const name = method === 'HEAD' ? 'get' : method.toLowerCase();
  return HTTP_METHODS.find((known) => known === name);
}

/** What is wrong with the answer's headers and body by the response the document declares. */
function responseViolations(exchange: Exchange, response: ResponseObject): string[] {
  const { headers, status, text } = exchange;
  const wrong: string[] = [];
  const declared = new Map(
    Object.entries(response.headers ?? {}).map(([name, header]) => [name.toLowerCase(), header]),
  );
  for (const name of API_HEADERS) {
    if (headers.has(name) && !declared.has(name)) wrong.push(`header ${name} is not declared`);
  }
  for (const [name, header] of declared) {
    const value = headers.get(name);
    if (value === null) {
      if (header.required) wrong.push(`the required header ${name} is missing`);
      continue;
    }
    const problem = violation(header.schema, value, name);
    if (problem) wrong.push(`${problem}, not ${JSON.stringify(value)}`);
  }

  const mediaType = headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
  if (!response.content) {
    if (text !== '') wrong.push('a body where the document declares none');
    return wrong;
  }
  if (exchange.method === 'HEAD') return wrong;
  const content = mediaType === undefined ? undefined : response.content[mediaType];
  if (!content) {
    const declaredTypes = Object.keys(response.content).join(', ');
    wrong.push(`content type ${mediaType ?? '(none)'} is not declared (only ${declaredTypes})`);
    return wrong;
  }
  let body: unknown = text;
  if (mediaType === 'application/json' || mediaType?.endsWith('+json')) {
    try {
      body = JSON.parse(text);
    } catch {
      wrong.push(`the body is not JSON`);
      return wrong;
    }
  }
  const problem = violation(content.schema, body, 'body');
  if (problem) wrong.push(problem);
  if (mediaType === 'application/problem+json' && (body as { status?: unknown }).status !== status)
    wrong.push(`the problem's status is not the answer's ${status}`);
  return wrong;
}

/**
 * What is wrong with an answer by the gateway's OpenAPI document: its path and method are
 * documented, its status declared, and its headers and body as declared for that status. A path
 * no route takes must answer the document's 404 `not-found`; a method a documented path does not
 * take, that or its 405 with `Allow` listing the methods documented there.
 */
export function conformanceViolations(exchange: Exchange): string[] {
  const path = documentedForm(exchange.path);
  const templates = matchingTemplates(path);
  const method = methodOf(exchange.method);
  const matched = templates
    .map((template) => ({ template, operation: method && document.paths[template]?.[method] }))
    .find((candidate): candidate is { template: string; operation: OperationObject } =>
      Boolean(candidate.operation),
    );
  if (matched) {
    const response = matched.operation.responses[String(exchange.status)];
    if (!response) {
      const declared = Object.keys(matched.operation.responses).join(', ');
      return [
        `status ${exchange.status} is not declared for ${matched.operation.operationId} (only ${declared})`,
      ];
    }
    return responseViolations(exchange, response);
  }
  const { RouteNotFound, MethodNotAllowed, Options, MethodNotImplemented } =
    document.components.responses;
  if (exchange.status === 404 && RouteNotFound) {
    return responseViolations(exchange, RouteNotFound).map((wrong) => `as no route: ${wrong}`);
  }
  const allowed = templates[0] === undefined ? undefined : allowOf(templates[0]);
  const withAllow = (response: ResponseObject, as: string): string[] => {
    const wrong = responseViolations(exchange, response);
    const allow = exchange.headers.get('allow');
    if (allow !== allowed) wrong.push(`Allow says ${allow}, the document ${allowed}`);
    return wrong.map((problem) => `as ${as}: ${problem}`);
  };
  if (exchange.method === 'OPTIONS' && Options && allowed !== undefined) {
    if (exchange.status !== 204) return [`OPTIONS answered ${exchange.status}, not 204`];
    return withAllow(Options, 'the methods of the path');
  }
  if (exchange.status === 405 && MethodNotAllowed && allowed !== undefined) {
    return withAllow(MethodNotAllowed, 'a method not allowed');
  }
  if (exchange.status === 501 && MethodNotImplemented) {
    return responseViolations(exchange, MethodNotImplemented).map(
      (wrong) => `as a method not implemented: ${wrong}`,
    );
  }
  return [
    templates.length === 0
      ? `the path is not documented, and ${exchange.status} is not the answer for no route`
      : `${exchange.method} is not documented for ${templates.join(' or ')}, and ${exchange.status} is not the answer for a method not allowed`,
  ];
}

/**
 * The methods a documented path takes, as the document says `Allow` lists them: its operations,
 * HEAD wherever GET is, and OPTIONS. Only the most specific template counts: `/api/user/count`
 * takes GET alone, although a PUT to it reaches `/api/user/{id}` (and is refused there).
 */
function allowOf(template: string): string {
  const item = document.paths[template];
  const methods = new Set(
    HTTP_METHODS.filter((method) => item?.[method]).map((method) => method.toUpperCase()),
  );
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  return order.filter((method) => methods.has(method)).join(', ');
}

/** Throws, naming the request, the status and each mismatch, unless the answer conforms. */
export function expectConforms(exchange: Exchange): void {
  const wrong = conformanceViolations(exchange);
  if (wrong.length === 0) return;
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
  throw new Error(
    `${exchange.method} ${cut(exchange.path)} answered ${exchange.status}, against the OpenAPI document:\n` +
      wrong.map((problem) => `  - ${problem}`).join('\n') +
      `\n  body: ${cut(exchange.text)}`,
  );
}

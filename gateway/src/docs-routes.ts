import { cacheFor, type CACHE_CONTROL, problems } from '@user-service/common/http';
import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DOCS_SECURITY_HEADERS } from './docs-security';
import type { OpenApiDocument } from './openapi-types';
import { clientCopyIsCurrent } from './preconditions';

// Resolved where the package is installed, so that the compiled gateway finds it as the sources do.
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

const JAVASCRIPT = 'text/javascript; charset=utf-8';

/**
 * Starts Swagger UI on this gateway's document. A file of its own rather than a script in the
 * page, so that the page keeps working under a Content-Security-Policy without 'unsafe-inline'.
 * `validatorUrl: null`: Swagger UI would otherwise send the document to an online validator.
 * The document's URL is relative to the page (/docs/), so that the page works behind a proxy
 * that serves the API under a path prefix.
 */
const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '../openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

interface DocsFile {
  readonly type: string;
  /** Swagger UI's own files change only with its version: a day's caching. Ours, each use. */
  readonly cache: keyof typeof CACHE_CONTROL;
  readonly content: () => Promise<Buffer | string>;
}

/** The files the page loads, by the name it gives them: each from swagger-ui-dist, or our own. */
const FILES: Readonly<Record<string, DocsFile>> = {
  'swagger-ui.css': {
    type: 'text/css; charset=utf-8',
    cache: 'publicForADay',
    content: () => packageFile('swagger-ui.css'),
  },
  'swagger-ui-bundle.js': {
    type: JAVASCRIPT,
    cache: 'publicForADay',
    content: () => packageFile('swagger-ui-bundle.js'),
  },
  'favicon-32x32.png': {
    type: 'image/png',
    cache: 'publicForADay',
    content: () => packageFile('favicon-32x32.png'),
  },
  'start.js': {
    type: JAVASCRIPT,
    cache: 'publicRevalidated',
    content: () => Promise.resolve(START_SCRIPT),
  },
};

// Served at /docs/ (/docs redirects there), so that relative asset paths resolve under it.
const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>User service API</title>
    <link rel="stylesheet" href="./swagger-ui.css">
    <link rel="icon" type="image/png" href="./favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="./swagger-ui-bundle.js"></script>
    <script src="./start.js"></script>
  </body>
</html>
`;

/** Read once per process: a couple of megabytes, the same for every request. */
const read = new Map<string, Promise<Buffer>>();
function packageFile(name: string): Promise<Buffer> {
  let content = read.get(name);
  if (!content) {
    content = readFile(join(SWAGGER_UI_DIR, name));
    // A failed read is not kept, so the next request tries again.
    content.catch(() => read.delete(name));
    read.set(name, content);
  }
  return content;
}

/**
 * The opaque part of a strong ETag from the content: the same bytes, the same tag, across
 * restarts and gateways. Remembered per content, one of a handful of strings and buffers.
 */
const tags = new Map<Buffer | string, string>();
function opaqueTagOf(content: Buffer | string): string {
  let tag = tags.get(content);
  if (tag === undefined) {
    tag = createHash('sha256').update(content).digest('base64url');
    tags.set(content, tag);
  }
  return tag;
}

interface SentFile {
  readonly type: string;
  readonly cache: keyof typeof CACHE_CONTROL;
  readonly content: Buffer | string;
}

/** gzip (or deflate) when the client accepts it: the page and its files are about 2 MB otherwise. */
const compress = compression();

/**
 * Sends a file for people or their browser: compressed, under the docs' security policy,
 * cacheable as `cache` says, and a 304 when the client's copy is current.
 */
function sendFile(req: Request, res: Response, file: SentFile): void {
  res.set(DOCS_SECURITY_HEADERS);
  cacheFor(res, file.cache);
  const tag = opaqueTagOf(file.content);
  res.set('ETag', `"${tag}"`);
  if (clientCopyIsCurrent(req, tag)) {
    res.status(304).end();
    return;
  }
  compress(req, res, () => {
    res.type(file.type).send(file.content);
  });
}

/** The path of the request as sent, without its query. */
function pathOf(req: Request): string {
  return req.originalUrl.split('?', 1)[0] ?? '';
}

/**
 * `GET /openapi.json`: the API's contract, for machines. Pretty-printed: linters quote it line
 * by line, and people open it in a browser; compressed, the indents cost next to nothing.
 */
export function openApiRoute(document: OpenApiDocument): RequestHandler {
  const text = `${JSON.stringify(document, null, 2)}\n`;
  return (req, res) => {
    sendFile(req, res, {
      type: 'application/json; charset=utf-8',
      cache: 'publicRevalidated',
      content: text,
    });
  };
}

/** `GET /docs/`: the contract, for people; `/docs` redirects there, so that relative paths work. */
export const docsPageRoute: RequestHandler = (req, res) => {
  if (!pathOf(req).endsWith('/')) {
    // Relative to /docs, `docs/` is /docs/, whatever prefix a proxy adds in front.
    res.set(DOCS_SECURITY_HEADERS).redirect(301, 'docs/');
    return;
  }
  sendFile(req, res, {
    type: 'text/html; charset=utf-8',
    cache: 'publicRevalidated',
    content: PAGE,
  });
};

/** `GET /docs/{file}`: a file the page loads. */
export const docsFileRoute: RequestHandler = async (req: Request, res: Response) => {
  const name = String(req.params.file);
  const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!file) throw problems.routeNotFound(req.method, req.path);
  sendFile(req, res, { type: file.type, cache: file.cache, content: await file.content() });
};

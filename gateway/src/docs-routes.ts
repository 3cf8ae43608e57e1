import { problems } from '@user-service/common';
import type { Request, RequestHandler, Response } from 'express';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { OpenApiDocument } from './openapi-types';

// Resolved where the package is installed, so that the compiled gateway finds it as the sources do.
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

const JAVASCRIPT = 'text/javascript; charset=utf-8';

/**
 * Starts Swagger UI on this gateway's document. A file of its own rather than a script in the
 * page, so that the page keeps working under a Content-Security-Policy without 'unsafe-inline'.
 * `validatorUrl: null`: Swagger UI would otherwise send the document to an online validator.
 */
const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

/** The files the page loads, by the name it gives them: each from swagger-ui-dist, or our own. */
const FILES: Readonly<
  Record<string, { readonly type: string; readonly content: () => Promise<Buffer | string> }>
> = {
  'swagger-ui.css': {
    type: 'text/css; charset=utf-8',
    content: () => packageFile('swagger-ui.css'),
  },
  'swagger-ui-bundle.js': { type: JAVASCRIPT, content: () => packageFile('swagger-ui-bundle.js') },
  'favicon-32x32.png': { type: 'image/png', content: () => packageFile('favicon-32x32.png') },
  'start.js': { type: JAVASCRIPT, content: () => Promise.resolve(START_SCRIPT) },
};

// Every asset path is absolute, so that the page works at /docs and /docs/ alike.
const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>User service API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/start.js"></script>
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
 * `GET /openapi.json`: the API's contract, for machines. Pretty-printed: linters quote it line
 * by line, and people open it in a browser; 2-space indents cost a few kilobytes once per client.
 */
export function openApiRoute(document: OpenApiDocument): RequestHandler {
  const text = `${JSON.stringify(document, null, 2)}\n`;
  return (_req, res) => {
    res.type('application/json; charset=utf-8').send(text);
  };
}

/** `GET /docs`: the contract, for people. */
export const docsPageRoute: RequestHandler = (_req, res) => {
  res.type('text/html; charset=utf-8').send(PAGE);
};

/** `GET /docs/{file}`: a file the page loads. */
export const docsFileRoute: RequestHandler = async (req: Request, res: Response) => {
  const name = String(req.params.file);
  const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!file) throw problems.routeNotFound(req.method, req.path);
  res.type(file.type).send(await file.content());
};

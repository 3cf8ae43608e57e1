import { cacheFor, PROBLEM_TYPES, problems, rememberRoute } from '@user-service/common';
import { type Request, type Response, Router } from 'express';
import { createHash } from 'node:crypto';
import { onlyGet } from './request-parts';
import { DOCS_SECURITY_HEADERS } from './docs-security';

/** Where the problem types are documented: `/problems/<name>`, the catalog's `type` paths. */
const PREFIX = '/problems/';

/**
 * `GET /problems/{name}`: the page an absolute problem `type` resolves to (RFC 9457 §3.1.1
 * says a type URI that is a locator SHOULD document the problem), built from the catalog, the
 * one source of every problem's status, title and meaning; `GET /problems`: all of them.
 */
export function problemPages(): Router {
  const router = Router();
  const pages = new Map(
    Object.values(PROBLEM_TYPES).map((problem) => [problem.type.slice(PREFIX.length), problem]),
  );
  const index = page(
    'Problem types',
    `<p>Every error of the API is an <code>application/problem+json</code> document (RFC 9457) whose <code>type</code> is one of these.</p>
<ul>
${[...pages.keys()].map((name) => `<li><a href="problems/${name}">${name}</a></li>`).join('\n')}
</ul>`,
  );
  router.get('/problems', rememberRoute, (req, res) => {
    send(req, res, index);
  });
  router.all('/problems', rememberRoute, onlyGet);
  router.get('/problems/:name', rememberRoute, (req, res) => {
    const name = String(req.params.name);
    const problem = pages.get(name);
    if (!problem) throw problems.routeNotFound(req.method, req.path);
    send(
      req,
      res,
      page(
        `${problem.status} ${problem.title}: ${name}`,
        `<p>Answered with status <strong>${problem.status}</strong> when ${markdownCode(problem.when)}.</p>
<p><a href="../docs/">The API's documentation</a> · <a href="../problems">All problem types</a></p>`,
      ),
    );
  });
  router.all('/problems/:name', rememberRoute, onlyGet);
  return router;
}

/** The pages change only with a release: cacheable, revalidated by a strong ETag of the content. */
function send(req: Request, res: Response, html: string): void {
  res.set(DOCS_SECURITY_HEADERS);
  cacheFor(res, 'publicRevalidated');
  res.set('ETag', `"${createHash('sha256').update(html).digest('base64url')}"`);
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  res.type('text/html; charset=utf-8').send(html);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${escapeHtml(title)}</title>
  </head>
  <body>
    <h1>${escapeHtml(title)}</h1>
    ${body}
  </body>
</html>
`;
}

/** The catalog's `when` is written for the README's markdown: its `code` spans become <code>. */
function markdownCode(text: string): string {
  return escapeHtml(text).replace(/`([^`]*)`/g, '<code>$1</code>');
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

import { cacheFor, PROBLEM_TYPES, problems } from '@user-service/common/http';
import type { Request, RequestHandler, Response } from 'express';
import { createHash } from 'node:crypto';
import { DOCS_SECURITY_HEADERS } from './docs-security';
import { clientCopyIsCurrent } from './preconditions';

// The pages an absolute problem `type` resolves to (RFC 9457 §3.1.1 says a type URI that is a
// locator SHOULD document the problem), built from the catalog, the one source of every
// problem's status, title and meaning.

/** Where the problem types are documented: `/problems/<name>`, the catalog's `type` paths. */
const PREFIX = '/problems/';

const PAGES = new Map(
  Object.values(PROBLEM_TYPES).map((problem) => [problem.type.slice(PREFIX.length), problem]),
);

const INDEX = page(
  'Problem types',
  `<p>Every error of the API is an <code>application/problem+json</code> document (RFC 9457) whose <code>type</code> is one of these.</p>
<ul>
${[...PAGES.keys()].map((name) => `<li><a href="problems/${name}">${name}</a></li>`).join('\n')}
</ul>`,
);

/** `GET /problems`: every problem type, linked to its page. */
export const problemIndexRoute: RequestHandler = (req, res) => {
  send(req, res, INDEX);
};

/** `GET /problems/{name}`: what the problem means, when it is answered, with which status. */
export const problemPageRoute: RequestHandler = (req, res) => {
  const name = String(req.params.name);
  const problem = PAGES.get(name);
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
};

/** The pages change only with a release: cacheable, revalidated by a strong ETag of the content. */
function send(req: Request, res: Response, html: string): void {
  res.set(DOCS_SECURITY_HEADERS);
  cacheFor(res, 'publicRevalidated');
  const tag = createHash('sha256').update(html).digest('base64url');
  res.set('ETag', `"${tag}"`);
  if (clientCopyIsCurrent(req, tag)) {
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

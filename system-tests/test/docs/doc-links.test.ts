import GithubSlugger from 'github-slugger';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { documentedFiles, headingsOf, linksOf, REPOSITORY } from './markdown-files';

/** The anchors GitHub gives a markdown file's headings (`#the-master-key-and-rotating-it`). */
function anchorsOf(path: string): Set<string> {
  const slugger = new GithubSlugger();
  return new Set(headingsOf(path).map((heading) => slugger.slug(heading)));
}

/** What is wrong with one relative link from `from`, or undefined when it resolves. */
function brokenLink(from: string, href: string): string | undefined {
  const [target = '', anchor] = href.split('#', 2) as [string, string | undefined];
  const path = target === '' ? from : normalize(join(dirname(from), decodeURI(target)));
  if (path.startsWith('..')) return `${href} leaves the repository`;
  if (!existsSync(join(REPOSITORY, path))) return `${href}: no file ${path}`;
  if (anchor === undefined) return undefined;
  if (!path.endsWith('.md') || statSync(join(REPOSITORY, path)).isDirectory()) {
    return `${href}: an anchor into ${path}, which has no headings`;
  }
  return anchorsOf(path).has(anchor) ? undefined : `${href}: ${path} has no heading #${anchor}`;
}

const isRelative = (href: string) => !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href);

describe('links between the README and docs/', () => {
  it.each(documentedFiles())('every relative link and anchor in %s resolves', (file) => {
    const broken = linksOf(file)
      .filter(({ href }) => isRelative(href))
      .flatMap(({ href, line }) => {
        const problem = brokenLink(file, href);
        return problem === undefined ? [] : [`${file}:${line}: ${problem}`];
      });
    expect(broken).toEqual([]);
  });

  it('finds the links it checks (a parser that saw none would pass everything)', () => {
    const links = linksOf('README.md').filter(({ href }) => isRelative(href));
    expect(links.map(({ href }) => href)).toContain('RELIABILITY.md');
    expect(links.some(({ href }) => href.includes('#'))).toBe(true);
  });
});

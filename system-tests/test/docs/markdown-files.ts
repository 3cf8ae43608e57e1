import MarkdownIt from 'markdown-it';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

type Token = MarkdownIt.Token;

/** The repository's root, which README.md and docs/ sit in. */
export const REPOSITORY = join(__dirname, '..', '..', '..');

/** The documents whose links and examples are checked: README.md, then docs/ and its folders. */
export function documentedFiles(): string[] {
  const docs = (folder: string): string[] =>
    readdirSync(join(REPOSITORY, folder), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((entry) =>
        entry.isDirectory()
          ? docs(join(folder, entry.name))
          : entry.name.endsWith('.md')
            ? [join(folder, entry.name)]
            : [],
      );
  return ['README.md', ...docs('docs')];
}

const markdown = new MarkdownIt({ html: true });

/** A file's markdown tokens, as GitHub would read it (CommonMark). */
export function tokensOf(path: string): Token[] {
  return markdown.parse(readFileSync(join(REPOSITORY, path), 'utf8'), {});
}

/** Every fenced block with this info string (```console), in order, with its first line. */
export function fencedBlocks(path: string, info: string): { text: string; line: number }[] {
  return tokensOf(path)
    .filter((token) => token.type === 'fence' && token.info.trim() === info)
    .map((token) => ({ text: token.content, line: (token.map?.[0] ?? 0) + 1 }));
}

/** Every link target in a file (inline and reference links, not those inside code). */
export function linksOf(path: string): { href: string; line: number }[] {
  const links: { href: string; line: number }[] = [];
  for (const token of tokensOf(path)) {
    for (const child of token.children ?? []) {
      const href = child.type === 'link_open' ? child.attrGet('href') : null;
      if (typeof href === 'string') links.push({ href, line: (token.map?.[0] ?? 0) + 1 });
    }
  }
  return links;
}

/** The text of each heading of a file, as GitHub renders it (formatting dropped), in order. */
export function headingsOf(path: string): string[] {
  const tokens = tokensOf(path);
  return tokens.flatMap((token, index) => {
    const inline = tokens[index + 1];
    if (token.type !== 'heading_open' || !inline) return [];
    return [(inline.children ?? []).map((child) => child.content).join('')];
  });
}

export function relativeToRepository(path: string): string {
  return relative(REPOSITORY, path);
}

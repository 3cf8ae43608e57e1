import { repoText } from './repo-files';

/** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(path: string): { keyword: string; args: string }[] {
  return repoText(path)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe.each([
  ['gateway/Dockerfile', 'gateway/dist/main.js', '8080'],
  ['aggregator/Dockerfile', 'aggregator/dist/main.js', '9100'],
])('%s', (path, entry, port) => {
  const all = instructions(path);
  const finalStage = all.slice(all.map((instruction) => instruction.keyword).lastIndexOf('FROM'));
  const of = (keyword: string) =>
    finalStage.filter((instruction) => instruction.keyword === keyword);

  it('builds in one stage and runs from another', () => {
    expect(
      all.filter((instruction) => instruction.keyword === 'FROM').length,
    ).toBeGreaterThanOrEqual(2);
    expect(all.some((instruction) => /npm ci .*--omit=dev/.test(instruction.args))).toBe(true);
  });

  it('builds and runs on a Node.js release line that still gets security fixes (22 or 24)', () => {
    const images = all
      .filter((instruction) => instruction.keyword === 'FROM')
      .map((instruction) => instruction.args.split(/\s+/)[0]);
    for (const image of images) expect(image).toMatch(/^node:(22|24)[.-]/);
  });

  it('runs the compiled JavaScript as a non-root user', () => {
    expect(of('CMD').map((instruction) => instruction.args)).toEqual([`["node", "${entry}"]`]);
    expect(repoText(path)).not.toMatch(/ts-node|tsx /);
    const [user] = of('USER');
    expect(user?.args).toMatch(/^(?!root$|0$)\S+$/);
  });

  it(`checks its own health on /healthz at port ${port}`, () => {
    expect(of('HEALTHCHECK')).toHaveLength(1);
    expect(of('HEALTHCHECK')[0]?.args).toContain('/healthz');
    expect(of('ENV').some((instruction) => instruction.args.includes(`PORT=${port}`))).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('keeps installed, built and data folders out of the build context', () => {
    const ignored = repoText('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.data', '.git'])
      expect(ignored).toContain(entry);
  });
});

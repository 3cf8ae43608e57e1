import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** The functions that took most of the CPU samples themselves, as "share  function  file:line". */
export function topSelfTime(profilePath: string, count = 25): string[] {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const samples = node.hitCount ?? 0;
    total += samples;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
    const key = `${functionName || '(anonymous)'}  ${where || '(native)'}:${lineNumber + 1}`;
    hits.set(key, (hits.get(key) ?? 0) + samples);
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, samples]) => `${((samples / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

/** Self time summed by package or source folder: where the CPU goes, coarsely. */
export function selfTimeByArea(profilePath: string): string[] {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const samples = node.hitCount ?? 0;
    total += samples;
    const { url, functionName } = node.callFrame;
    const area = url.includes('/node_modules/')
      ? (url.split('/node_modules/').pop()?.split('/').slice(0, url.includes('/node_modules/@') ? 2 : 1).join('/') ?? url)
      : url.includes('/work/main/')
        ? url.replace(/^.*\/work\/main\//, '').split('/').slice(0, 1).join('/')
        : url.startsWith('node:')
          ? url
          : `(${functionName || 'native'})`;
    hits.set(area, (hits.get(area) ?? 0) + samples);
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([area, samples]) => `${((samples / total) * 100).toFixed(1).padStart(5)}%  ${area}`);
}

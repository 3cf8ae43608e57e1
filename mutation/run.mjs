// `npm run test:mutation [group ...]`: StrykerJS once per group of groups.mjs (all of them
// without arguments), then one table over every group's report in reports/mutation/.
import { spawnSync } from 'node:child_process';
import { GROUPS } from './groups.mjs';
import { printScores } from './scores.mjs';

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in GROUPS));
if (unknown.length > 0) {
  console.error(
    `unknown group(s) ${unknown.join(', ')}: choose from ${Object.keys(GROUPS).join(', ')}`,
  );
  process.exit(2);
}

let failed = false;
for (const name of asked.length > 0 ? asked : Object.keys(GROUPS)) {
  console.log(`\n=== mutation group ${name} ===`);
  const run = spawnSync('npx', ['stryker', 'run', 'mutation/stryker.config.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: name, MONGO_SUITES: 'skip' },
  });
  if (run.status !== 0) failed = true;
}
printScores('reports/mutation');
process.exit(failed ? 1 : 0);

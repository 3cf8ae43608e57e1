// The token issuer's key pair for generate-secrets.sh, which keeps the files and decides who reads
// them: `new` prints a new private JWK; `jwks <file> [<previous>]` prints the public JWKS of the
// key in <file>, and of the one it replaced, whose tokens are still verified until they expire.
import { readFileSync } from 'node:fs';
import { newSigningKey, parseSigningKey, publicKeySetOf } from './signing-key';

async function main([command, ...files]: readonly string[]): Promise<string> {
  if (command === 'new') return JSON.stringify(await newSigningKey());
  if (command === 'jwks' && files.length >= 1 && files.length <= 2) {
    const sets = await Promise.all(
      files.map((file) => publicKeySetOf(parseSigningKey(readFileSync(file, 'utf8'), file))),
    );
    return JSON.stringify({ keys: sets.flatMap((set) => set.keys) });
  }
  throw new Error('usage: signing-key-main.js new | jwks <private-jwk-file> [<previous one>]');
}

main(process.argv.slice(2)).then(
  (output) => process.stdout.write(`${output}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

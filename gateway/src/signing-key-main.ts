// The token issuer's key pair for generate-secrets.sh, which keeps the files and decides who reads
// them: `new` prints a new private JWK; `jwks <file>` prints the public JWKS of the one in <file>.
import { readFileSync } from 'node:fs';
import { newSigningKey, parseSigningKey, publicKeySetOf } from './signing-key';

async function main([command, file]: readonly string[]): Promise<string> {
  if (command === 'new') return JSON.stringify(await newSigningKey());
  if (command === 'jwks' && file !== undefined)
    return JSON.stringify(await publicKeySetOf(parseSigningKey(readFileSync(file, 'utf8'), file)));
  throw new Error('usage: signing-key-main.js new | jwks <private-jwk-file>');
}

main(process.argv.slice(2)).then(
  (output) => process.stdout.write(`${output}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

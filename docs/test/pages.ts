import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The docs package's directory. */
export const docs = fileURLToPath(new URL('..', import.meta.url));

/** Every page of the site, as paths below docs/. */
export function pages(directory = docs): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return pages(path);
    return entry.name.endsWith('.md') ? [relative(docs, path)] : [];
  });
}

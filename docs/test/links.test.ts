// The link check over the Markdown: every relative link of the docs pages and of the repository's
// READMEs leads to a file or page that exists, and every anchor to a heading that exists. Anchors
// into the site are checked against the ids VitePress gave the headings in the build; anchors into
// READMEs against GitHub's heading slugs. External links are not fetched (the suite runs offline).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docs, pages } from './pages';

const repo = resolve(docs, '..');
const dist = join(docs, '.vitepress/dist');

/** The Markdown links of `text` outside code: `[label](target)`, targets as written. */
function linksOf(text: string): string[] {
  const prose = text
    .replace(/^(```|~~~)[\s\S]*?^\1$/gm, '')
    .replace(/^<<< .*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** The heading ids of a built page (VitePress's own slugs, custom `{#id}`s included). */
function siteAnchors(page: string): Set<string> {
  const html = join(dist, page.replace(/\.md$/, '.html'));
  expect(existsSync(html), `${html}: build the site first`).toBe(true);
  return new Set([...readFileSync(html, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function readmeAnchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  const slugs = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = githubSlug(heading!.replace(/`/g, ''));
    let slug = base;
    for (let n = 1; slugs.has(slug); n++) slug = `${base}-${n}`;
    slugs.add(slug);
  }
  return slugs;
}

/** The site page a link from `page` leads to (as a path below docs/), or undefined. */
function sitePage(page: string, path: string): string | undefined {
  const base = path.startsWith('/') ? join(docs, path) : resolve(docs, dirname(page), path);
  const bare = base.replace(/\.(md|html)$/, '').replace(/\/$/, '');
  for (const candidate of [`${bare}.md`, join(bare, 'index.md')]) {
    if (existsSync(candidate)) return relative(docs, candidate);
  }
  return undefined;
}

/** The README files of the repository (root, packages, apps, examples, e2e, bench). */
function readmes(): string[] {
  const found = ['README.md'];
  for (const folder of ['packages', 'apps']) {
    for (const name of readdirSync(join(repo, folder))) {
      if (existsSync(join(repo, folder, name, 'README.md')))
        found.push(`${folder}/${name}/README.md`);
    }
  }
  for (const name of ['examples', 'e2e', 'bench']) {
    if (existsSync(join(repo, name, 'README.md'))) found.push(`${name}/README.md`);
  }
  return found;
}

describe('the Markdown links', () => {
  it('of the docs pages lead to pages and headings that exist', () => {
    const problems: string[] = [];
    for (const page of pages()) {
      const text = readFileSync(join(docs, page), 'utf8');
      for (const target of linksOf(text)) {
        if (external(target)) continue;
        const [path = '', anchor] = target.split('#');
        const to = path === '' ? page : sitePage(page, decodeURI(path));
        if (to === undefined) {
          // Files the site serves as they are (public/).
          if (!existsSync(join(docs, 'public', path)))
            problems.push(`${page}: ${target}: no such page`);
          continue;
        }
        if (anchor && !siteAnchors(to).has(decodeURIComponent(anchor))) {
          problems.push(`${page}: ${target}: ${to} has no heading #${anchor}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('of the READMEs lead to files and headings that exist', () => {
    const problems: string[] = [];
    for (const readme of readmes()) {
      for (const target of linksOf(readFileSync(join(repo, readme), 'utf8'))) {
        if (external(target)) continue;
        const [path = '', anchor] = target.split('#');
        const to =
          path === '' ? join(repo, readme) : resolve(repo, dirname(readme), decodeURI(path));
        if (!existsSync(to)) {
          problems.push(`${readme}: ${target}: no such file`);
          continue;
        }
        if (!anchor) continue;
        const file = statSync(to).isDirectory() ? join(to, 'README.md') : to;
        if (!file.endsWith('.md') || !readmeAnchors(file).has(anchor)) {
          problems.push(`${readme}: ${target}: no heading #${anchor} in ${relative(repo, file)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

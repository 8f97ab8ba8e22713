import { defineConfig } from 'vitepress';

// The docs site: guides and references. Built by `pnpm --filter @latchkey/docs build`, served by
// `npm run docs`. Search is VitePress's local index, so it works offline.
export default defineConfig({
  title: 'latchkey',
  description: 'OpenID Connect sign-in, sessions and passkeys for Node.js apps, secure by default.',
  cleanUrls: true,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  lastUpdated: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/passkeys' },
      { text: 'Errors', link: '/reference/errors' },
    ],
    sidebar: [
      { text: 'Guides', items: [{ text: 'Passkeys', link: '/guide/passkeys' }] },
      { text: 'Reference', items: [{ text: 'Error catalogue', link: '/reference/errors' }] },
    ],
    search: { provider: 'local' },
  },
});

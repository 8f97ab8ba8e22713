import { defineConfig } from 'vitepress';

// The docs site: guides and references. Built by `pnpm --filter @latchkey/docs build` (TypeDoc
// writes the API reference into reference/api first), served by `npm run docs`. Search is
// VitePress's local index, so it works offline.
export default defineConfig({
  title: 'latchkey',
  description: 'OpenID Connect sign-in, sessions and passkeys for Node.js apps, secure by default.',
  cleanUrls: true,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  lastUpdated: false,
  // The guides tell readers to open their own app on http://localhost: not links of this site.
  ignoreDeadLinks: 'localhostLinks',
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Identity providers', link: '/idps/auth0' },
      { text: 'Errors', link: '/reference/errors' },
      { text: 'API', link: '/reference/api/' },
    ],
    sidebar: [
      {
        text: 'Start',
        items: [
          { text: 'Getting started (Express)', link: '/guide/getting-started' },
          { text: 'Fastify', link: '/guide/fastify' },
          { text: 'React with a backend-for-frontend', link: '/guide/react-bff' },
          { text: 'React routers', link: '/guide/react-routers' },
          { text: 'Testing your app', link: '/guide/testing' },
        ],
      },
      {
        text: 'Protect',
        items: [
          { text: 'APIs with bearer tokens', link: '/guide/bearer-apis' },
          { text: 'Roles and permissions', link: '/guide/roles' },
          { text: 'Step-up authentication', link: '/guide/step-up' },
          { text: 'Passkeys', link: '/guide/passkeys' },
        ],
      },
      {
        text: 'Run',
        items: [
          { text: 'Sessions', link: '/guide/sessions' },
          { text: 'Sign-out', link: '/guide/sign-out' },
          { text: 'Deployment checklist', link: '/guide/deployment' },
          { text: 'Security model', link: '/guide/security-model' },
          { text: 'Migrating', link: '/guide/migrating' },
        ],
      },
      {
        text: 'Identity providers',
        items: [
          { text: 'Auth0', link: '/idps/auth0' },
          { text: 'Okta', link: '/idps/okta' },
          { text: 'Keycloak', link: '/idps/keycloak' },
          { text: 'Microsoft Entra ID', link: '/idps/entra-id' },
          { text: 'Google', link: '/idps/google' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'Error catalogue', link: '/reference/errors' },
          { text: 'API reference', link: '/reference/api/' },
        ],
      },
    ],
    search: { provider: 'local' },
  },
});

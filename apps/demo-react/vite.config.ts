import { defaultClientConditions, defaultServerConditions, defineConfig } from 'vite';

/**
 * The workspace's export condition for TypeScript sources: `@latchkey/react` is bundled from its
 * `src/`, so the demo builds without building the package first.
 */
const SOURCE = '@latchkey/source';

// JSX through Vite's own esbuild transform (React's automatic runtime): @vitejs/plugin-react
// needs Node 22, and the demo has no use for Fast Refresh.
export default defineConfig(({ isSsrBuild }) => ({
  esbuild: { jsx: 'automatic' },
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  // `vite build --ssr src/ssr.tsx` (the second half of `build`): the renderer demo-express imports.
  ssr: {
    noExternal: ['@latchkey/react'],
    resolve: { conditions: [SOURCE, ...defaultServerConditions] },
  },
  build: { target: 'es2022', sourcemap: true, copyPublicDir: !isSsrBuild },
}));

import type { SessionResponse } from '@latchkey/react';
import { renderToString } from 'react-dom/server';
import { App } from './app';
import { SESSION_ELEMENT_ID } from './config';
import { documentTitle, routeFor } from './routes';

export type { SessionResponse } from '@latchkey/react';

/** Where index.html takes the rendered app. */
const APP_OUTLET = '<!--app-html-->';
/** Where index.html takes the session's JSON data block. */
const SESSION_OUTLET = '<!--app-session-->';

/**
 * The page to render into when the client build is missing (tests run on sources): the same
 * markup without scripts or styles, so every page still works as plain HTML.
 */
export const FALLBACK_TEMPLATE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>latchkey demo</title></head>
<body><div id="root">${APP_OUTLET}</div>${SESSION_OUTLET}</body>
</html>`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Throws when `template` (the built index.html) lacks the placeholders the renderer fills. */
export function checkTemplate(template: string): void {
  for (const part of [APP_OUTLET, SESSION_OUTLET, '<title>']) {
    if (!template.includes(part)) {
      throw new Error(`The demo-react index.html has no ${part}: rebuild apps/demo-react.`);
    }
  }
}

/**
 * The full HTML of the page at `path` for this session: the app rendered into `template`, with
 * the session in a JSON data block (`<` escaped, so that no value can close the element) for the
 * browser to hydrate with. `session` `undefined` means unknown (the store is down): the page
 * renders as loading and the browser asks the server.
 */
export function renderDocument(
  template: string,
  path: string,
  session: SessionResponse | undefined,
): string {
  const html = renderToString(<App path={path} initialSession={session} />);
  const data =
    session === undefined
      ? ''
      : `<script type="application/json" id="${SESSION_ELEMENT_ID}">${JSON.stringify(session).replace(/</g, '\\u003c')}</script>`;
  const title = `<title>${escapeHtml(documentTitle(routeFor(path)))}</title>`;
  // Replacer functions: a `$&` in a user's name must stay text, not a replacement pattern.
  return template
    .replace(/<title>[^<]*<\/title>/, () => title)
    .replace(APP_OUTLET, () => html)
    .replace(SESSION_OUTLET, () => data);
}

import './styles.css';
import { StrictMode } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { App } from './app';
import { readInitialSession } from './initial-session';

const container = document.getElementById('root');
if (!container) throw new Error('index.html needs an element with id "root".');

const app = (
  <StrictMode>
    <App path={location.pathname} initialSession={readInitialSession(document)} />
  </StrictMode>
);
// Served by demo-express the page arrives rendered: hydrate it. From `vite` alone it is empty.
if (container.firstElementChild) hydrateRoot(container, app);
else createRoot(container).render(app);

// This file runs twice: under React 19 (this package) and under React 18 (@latchkey/react18-tests,
// whose vitest config resolves react, react-dom and Testing Library from its own dependencies and
// sets LATCHKEY_REACT_MAJOR=18). It proves which React really renders the other tests.
import { render, screen } from '@testing-library/react';
import { version as reactVersion } from 'react';
import { version as reactDomVersion } from 'react-dom';
import { expect, test } from 'vitest';
import { signedIn } from '../test/helpers';
import { AuthProvider, useUser } from './index';

const major = process.env.LATCHKEY_REACT_MAJOR;

function Name() {
  return <>{useUser()?.name}</>;
}

test(`renders with React ${major}`, () => {
  expect(major).toMatch(/^1[89]$/);
  expect(reactVersion.split('.')[0]).toBe(major);
  expect(reactDomVersion.split('.')[0]).toBe(major);
  render(
    <AuthProvider initialSession={signedIn()}>
      <Name />
    </AuthProvider>,
  );
  // The hook worked: Testing Library's react-dom renders with this same React instance.
  expect(screen.getByText('Alice Example')).toBeTruthy();
});

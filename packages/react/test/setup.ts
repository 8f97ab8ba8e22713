import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

afterEach(() => {
  cleanup(); // unmounts every provider: listeners removed, BroadcastChannels closed
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

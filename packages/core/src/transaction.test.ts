import { describe, expect, it } from 'vitest';
import { newState, STATE_PATTERN, TRANSACTION_SLOTS, transactionSlot } from './transaction';

describe('sign-in transaction slots', () => {
  it('maps every state to one of five slots', () => {
    const slots = new Set<number>();
    for (let i = 0; i < 200; i++) slots.add(transactionSlot(newState(() => true)));
    expect([...slots].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(TRANSACTION_SLOTS).toBe(5);
  });

  it('picks a state whose slot is free, and any state when none is', () => {
    for (let free = 0; free < TRANSACTION_SLOTS; free++) {
      const state = newState((slot) => slot === free);
      expect(transactionSlot(state)).toBe(free);
      expect(state).toMatch(STATE_PATTERN);
    }
    expect(newState(() => false)).toMatch(STATE_PATTERN);
  });
});

import { describe, expect, it } from 'vitest';
import { createAppStore } from '../store';
import type { AppServices } from '../store/types';
import { installShortcuts } from './shortcuts';

const requested: string[] = [];
const services: AppServices = {
  client: {
    request: (op) => {
      requested.push(op);
      return Promise.reject(new Error('unused'));
    },
    cancelLane: () => false,
    onEvent: () => () => {},
  },
  datasetUrl: 'http://127.0.0.1/datasets/fashion-mnist/',
  samplesPerClass: 2,
};

function key(code: string, modifiers: { altKey?: boolean; ctrlKey?: boolean; shiftKey?: boolean } = { altKey: true }): Event {
  const event = new Event('keydown', { cancelable: true });
  return Object.assign(event, { code, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...modifiers });
}

describe('keyboard shortcuts', () => {
  it('Alt+1 and Alt+2 call setActiveFile, like the tabs; other keys pass through', () => {
    const store = createAppStore(services);
    const target = new EventTarget();
    const uninstall = installShortcuts(store, target as unknown as Window);

    const alt2 = key('Digit2');
    target.dispatchEvent(alt2);
    expect(store.getState().activeFile).toBe('qconfig.ts');
    expect(alt2.defaultPrevented).toBe(true);

    const ctrlAlt1 = key('Digit1', { altKey: true, ctrlKey: true });
    target.dispatchEvent(ctrlAlt1);
    target.dispatchEvent(key('Digit3'));
    target.dispatchEvent(key('Digit1', { altKey: false }));
    expect(store.getState().activeFile).toBe('qconfig.ts');
    expect(ctrlAlt1.defaultPrevented).toBe(false);

    target.dispatchEvent(key('Digit1'));
    expect(store.getState().activeFile).toBe('model.ts');

    uninstall();
    target.dispatchEvent(key('Digit2'));
    expect(store.getState().activeFile).toBe('model.ts');
  });

  it('Ctrl+Shift+Enter checks the code, like the Check code button', () => {
    const store = createAppStore(services);
    const target = new EventTarget();
    const uninstall = installShortcuts(store, target as unknown as Window);
    const event = key('Enter', { ctrlKey: true, shiftKey: true });
    target.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(requested).toEqual(['analyze']);
    expect(store.getState().analysis.status).toBe('running');
    uninstall();
  });
});

import { createContext, useContext, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from '../store';

const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore: no StoreProvider above this component');
  return store;
}

/** Selects narrowly from the app store (a component re-renders only when its selection changes). */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStore(), selector);
}

/**
 * Like useApp for selectors that build new objects (rows of a table): the component re-renders only
 * when the built value differs as JSON. For small values only.
 */
export function useDerived<T>(selector: (state: AppState) => T): T {
  const store = useAppStore();
  const cache = useRef<{ value: T; json: string } | null>(null);
  const snapshot = () => {
    const value = selector(store.getState());
    const json = JSON.stringify(value);
    if (cache.current && cache.current.json === json) return cache.current.value;
    cache.current = { value, json };
    return value;
  };
  return useSyncExternalStore(store.subscribe, snapshot);
}

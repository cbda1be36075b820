/**
 * Preact glue for the store.
 */
import { useEffect, useState } from 'preact/hooks';
import type { PanelStore } from './store.ts';

/** Re-render when the store notifies; returns the store's version. */
export function useStoreVersion(store: PanelStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => {
    setVersion(store.version);
    return store.subscribe(() => setVersion(store.version));
  }, [store]);
  return version;
}

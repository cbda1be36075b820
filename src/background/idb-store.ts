/**
 * The buffer's persistent store: one IndexedDB object store in the service worker.
 *
 * Why not chrome.storage.session: measured in this Chromium, writing 1,000
 * captured events there took 150-650 ms on the browser's UI thread (which also
 * serves DevTools Protocol and tab IPC), and its quota is 10 MB. IndexedDB writes
 * the same data off that thread, several times faster (INTERNALS.md). IndexedDB
 * outlives the browser session, unlike the tabs it describes, so a marker kept
 * in chrome.storage.session (cleared when the browser exits) tells a new browser
 * session from a worker restart: on a new session the database is wiped.
 */
import type { SessionStore } from './hub.ts';

const DB_NAME = 'realtime-inspector-buffer';
const STORE = 'kv';
const SESSION_MARKER = 'bufferSession';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

async function open(): Promise<IDBDatabase> {
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

/** A SessionStore on IndexedDB, emptied when the browser session is new. */
export function indexedDbStore(): SessionStore {
  const db = (async () => {
    const database = await open();
    const marker = await chrome.storage.session.get(SESSION_MARKER);
    if (!marker[SESSION_MARKER]) {
      const tx = database.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).clear();
      await done(tx);
      await chrome.storage.session.set({ [SESSION_MARKER]: true });
    }
    return database;
  })();
  return {
    async getAll() {
      const database = await db;
      const tx = database.transaction(STORE, 'readonly');
      const store = tx.objectStore(STORE);
      const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
      return Object.fromEntries(keys.map((k, i) => [String(k), values[i]]));
    },
    async set(items) {
      const database = await db;
      const tx = database.transaction(STORE, 'readwrite', { durability: 'relaxed' });
      const store = tx.objectStore(STORE);
      for (const [key, value] of Object.entries(items)) store.put(value, key);
      await done(tx);
    },
    async remove(keys) {
      const database = await db;
      const tx = database.transaction(STORE, 'readwrite', { durability: 'relaxed' });
      const store = tx.objectStore(STORE);
      for (const key of keys) store.delete(key);
      await done(tx);
    },
  };
}

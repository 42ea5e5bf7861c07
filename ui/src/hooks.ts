// Loading data and running actions with the error kept for the page to show.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** GETs path (relative to /api/v1) whenever it changes; null = nothing to load. */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    if (path === null) return;
    let cancelled = false;
    setLoading(true);
    api
      .get<T>(path)
      .then((d) => {
        if (cancelled) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e);
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [path, tick]);

  useEffect(() => {
    if (!refreshMs) return;
    const timer = window.setInterval(reload, refreshMs);
    return () => window.clearInterval(timer);
  }, [refreshMs, reload]);

  return { data, error, loading, reload };
}

export interface Action {
  busy: boolean;
  error: unknown;
  done: string | undefined;
  /** Runs fn; its resolved string (if any) is shown as the success message. */
  run(fn: () => Promise<string | void>): Promise<boolean>;
  clear(): void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const message = await fn();
      if (mounted.current && message) setDone(message);
      return true;
    } catch (e) {
      if (mounted.current) setError(e);
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
    setDone(undefined);
  }, []);
  return { busy, error, done, run, clear };
}

export interface Selection {
  selected: string[];
  has(id: string): boolean;
  toggle(id: string): void;
  /** Every row is ticked (and there is at least one). */
  all: boolean;
  toggleAll(): void;
  clear(): void;
}

/** Multi-select over the rows of a table. */
export function useSelection(ids: string[]): Selection {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const key = ids.join('\n');
  useEffect(() => {
    setSelected((s) => new Set([...s].filter((id) => ids.includes(id))));
    // Only when the rows change (ids is a new array on every render).
  }, [key]);
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const all = ids.length > 0 && ids.every((id) => selected.has(id));
  const toggleAll = () => setSelected(all ? new Set() : new Set(ids));
  return {
    selected: [...selected],
    has: (id: string) => selected.has(id),
    toggle,
    all,
    toggleAll,
    clear: () => setSelected(new Set()),
  };
}

import { useState } from 'react';

/**
 * When the data on screen was fetched, from a query's `dataUpdatedAt`. That is 0 while a
 * placeholder (the previous query's data) shows, so the last real time stands in: durations
 * and bars of unfinished work are measured to it, never to 0.
 */
export function useShownDataTime(dataUpdatedAt: number): number {
  const [last, setLast] = useState(dataUpdatedAt);
  if (dataUpdatedAt && dataUpdatedAt !== last) setLast(dataUpdatedAt);
  return dataUpdatedAt || last;
}

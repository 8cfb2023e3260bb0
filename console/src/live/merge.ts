// Merging live changes into a sorted list, shared by the incident page's timeline, events and actions.

/** `items` with `added` merged in by id (an added item replaces the old one), sorted by `order`. */
export function merge<T extends { id: string }>(
  items: readonly T[],
  added: readonly T[],
  order: (a: T, b: T) => number,
): T[] {
  const byId = new Map(added.map((i) => [i.id, i]));
  // A new version takes the old one's place: the sort is stable, so an item whose sort keys tie with others (two
  // actions of one priority made in the same instant) keeps its place instead of moving behind them.
  const replaced = items.map((i) => byId.get(i.id) ?? i);
  const have = new Set(items.map((i) => i.id));
  return [...replaced, ...added.filter((i) => !have.has(i.id))].sort(order);
}

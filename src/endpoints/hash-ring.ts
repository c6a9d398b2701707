/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 so similar keys spread over the whole ring. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The ring's size is bounded whatever the weights: about this many points in all, at most 160 per unit of weight. */
const ringBudget = 40_000;
const pointsPerWeight = 160;

/**
 * A consistent-hash ring (ketama-like): each target owns points named after
 * its label, as many as its weight asks, so a target that goes away (from
 * the config, or out of rotation) hands only its own arcs to the others.
 */
export class HashRing {
  readonly #points: Uint32Array;
  /** The index of the target owning each point. */
  readonly #owners: Uint16Array;

  constructor(targets: readonly { readonly label: string; readonly weight: number }[]) {
    const totalWeight = targets.reduce((sum, target) => sum + target.weight, 0);
    const perWeight = Math.max(1, Math.min(pointsPerWeight, Math.floor(ringBudget / totalWeight)));
    const points: Array<{ point: number; owner: number }> = [];
    targets.forEach((target, owner) => {
      for (let index = 0; index < target.weight * perWeight; index++) points.push({ point: hash32(`${target.label}#${index}`), owner });
    });
    points.sort((a, b) => a.point - b.point || a.owner - b.owner);
    this.#points = Uint32Array.from(points, (entry) => entry.point);
    this.#owners = Uint16Array.from(points, (entry) => entry.owner);
  }

  /** The first owner clockwise from `key`'s hash that `usable` accepts, or -1. */
  find(key: string, usable: (owner: number) => boolean): number {
    const points = this.#points;
    const count = points.length;
    const hash = hash32(key);
    let low = 0;
    let high = count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle]! < hash) low = middle + 1;
      else high = middle;
    }
    let lastTried = -1;
    for (let step = 0; step < count; step++) {
      const owner = this.#owners[(low + step) % count]!;
      if (owner === lastTried) continue;
      if (usable(owner)) return owner;
      lastTried = owner;
    }
    return -1;
  }
}

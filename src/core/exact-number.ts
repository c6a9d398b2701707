/**
 * A JSON number whose double would not be its exact value (an integer past
 * 2^53, or a long decimal that rounds to an integer), kept as its source
 * text. Only the JSON codec makes them, only for such numbers, so the usual
 * value stays a plain number. The protojson reader takes 64-bit integers
 * from `text` exactly and doubles from `value`; everything else that reads a
 * JSON value sees a number through `toJSON`/`valueOf`, as before.
 */
export class ExactNumber {
  readonly value: number;

  constructor(readonly text: string) {
    this.value = Number(text);
  }

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return this.text;
  }

  toJSON(): unknown {
    return exactJsonHook(this);
  }
}

let hook: (number: ExactNumber) => unknown = (number) => number.value;

/** Set by the JSON encoder while it writes numbers by their text; see exact-numbers.ts. */
export function setExactJsonHook(next: (number: ExactNumber) => unknown): void {
  hook = next;
}

function exactJsonHook(number: ExactNumber): unknown {
  return hook(number);
}

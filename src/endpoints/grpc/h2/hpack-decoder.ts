import { huffmanDecode } from "./hpack-huffman.js";
import { staticTable } from "./hpack-static-table.js";

/** A header block that cannot be decoded: a COMPRESSION_ERROR for the whole connection (RFC 9113 §4.3). */
export class CompressionError extends Error {}

const ENTRY_OVERHEAD = 32;

/**
 * HPACK decoder state of one connection (RFC 7541): the dynamic table the
 * peer's encoder fills, bounded by the table size this side announced
 * (SETTINGS_HEADER_TABLE_SIZE, default 4096). Blocks must be decoded in the
 * order they arrive, each completely, or the tables drift apart.
 */
export class HpackDecoder {
  /** Newest entry first would need shifting; entries are appended and index 62 is the last one. */
  readonly #names: string[] = [];
  readonly #values: string[] = [];
  #size = 0;
  #maxSize: number;
  readonly #limit: number;
  /** Read position in the block being decoded. */
  #at = 0;

  constructor(limit = 4096) {
    this.#limit = limit;
    this.#maxSize = limit;
  }

  /** Header fields of one block as a flat [name, value, name, value, …] list. */
  decode(block: Buffer): string[] {
    const fields: string[] = [];
    const end = block.byteLength;
    let fieldsSeen = false;
    this.#at = 0;
    while (this.#at < end) {
      const first = block[this.#at] ?? 0;
      if (first & 0x80) {
        // Indexed field (§6.1).
        this.#push(fields, this.#integer(block, 7));
        fieldsSeen = true;
      } else if ((first & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3): only at the start of a block, within the announced limit.
        const size = this.#integer(block, 5);
        if (fieldsSeen) throw new CompressionError("a table size update after the first header field");
        if (size > this.#limit) throw new CompressionError(`a table size update to ${size}, over the ${this.#limit} allowed`);
        this.#maxSize = size;
        this.#evict(0);
      } else {
        // Literal (§6.2): with incremental indexing (01), without (0000) or never indexed (0001).
        const indexing = (first & 0xc0) === 0x40;
        const nameIndex = this.#integer(block, indexing ? 6 : 4);
        const name = nameIndex === 0 ? this.#string(block) : this.#name(nameIndex);
        const value = this.#string(block);
        fields.push(name, value);
        if (indexing) this.#insert(name, value);
        fieldsSeen = true;
      }
    }
    return fields;
  }

  /** An HPACK integer with an N-bit prefix (§5.1). */
  #integer(block: Buffer, prefixBits: number): number {
    const mask = (1 << prefixBits) - 1;
    let value = (block[this.#at++] ?? 0) & mask;
    if (value < mask) return value;
    let shift = 0;
    for (;;) {
      if (this.#at >= block.byteLength) throw new CompressionError("a header block ends inside an integer");
      const byte = block[this.#at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return value;
      if (shift > 28) throw new CompressionError("an integer over 2^32 in a header block");
    }
  }

  /** A string literal (§5.2), raw or Huffman-coded. Header bytes are Latin-1. */
  #string(block: Buffer): string {
    if (this.#at >= block.byteLength) throw new CompressionError("a header block ends before a string");
    const huffman = ((block[this.#at] ?? 0) & 0x80) !== 0;
    const length = this.#integer(block, 7);
    const start = this.#at;
    const end = start + length;
    if (end > block.byteLength) throw new CompressionError("a string runs past the end of the header block");
    this.#at = end;
    if (!huffman) return block.toString("latin1", start, end);
    const text = huffmanDecode(block, start, end);
    if (text === undefined) throw new CompressionError("an invalid Huffman-coded string");
    return text;
  }

  #entry(index: number): number {
    const position = this.#names.length - 1 - (index - staticTable.length - 1);
    if (index <= 0 || position < 0) throw new CompressionError(`header table index ${index} does not exist`);
    return position;
  }

  #name(index: number): string {
    if (index <= staticTable.length) return this.#static(index)[0];
    return this.#names[this.#entry(index)] ?? "";
  }

  #static(index: number): readonly [string, string] {
    const entry = staticTable[index - 1];
    if (entry === undefined) throw new CompressionError(`header table index ${index} does not exist`);
    return entry;
  }

  #push(fields: string[], index: number): void {
    if (index <= staticTable.length) {
      const [name, value] = this.#static(index);
      fields.push(name, value);
      return;
    }
    const position = this.#entry(index);
    fields.push(this.#names[position] ?? "", this.#values[position] ?? "");
  }

  #insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.#evict(size);
    // An entry larger than the table empties it and is not added (§4.4).
    if (size > this.#maxSize) return;
    this.#names.push(name);
    this.#values.push(value);
    this.#size += size;
  }

  /** Evicts the oldest entries until `room` more bytes fit. */
  #evict(room: number): void {
    let drop = 0;
    while (this.#size + room > this.#maxSize && drop < this.#names.length) {
      this.#size -= (this.#names[drop]?.length ?? 0) + (this.#values[drop]?.length ?? 0) + ENTRY_OVERHEAD;
      drop++;
    }
    if (drop > 0) {
      this.#names.splice(0, drop);
      this.#values.splice(0, drop);
    }
  }
}

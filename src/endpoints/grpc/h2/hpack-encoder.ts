import { StaticIndex } from "./hpack-static-table.js";

/**
 * The request side of HPACK, kept stateless: Rosetta never inserts into the
 * peer's dynamic table, so every block can be built ahead of time and reused
 * on any connection. Fixed fields use the static table; everything else is a
 * raw literal "without indexing" (no Huffman: these are short ASCII strings,
 * and coding them would cost more CPU than the bytes it saves).
 */

/** Bytes of an integer with an N-bit prefix (§5.1). */
function integerSize(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let size = 2;
  for (let rest = value - max; rest >= 128; rest = Math.floor(rest / 128)) size++;
  return size;
}

/** Writes an integer with an N-bit prefix; `first` holds the pattern bits above the prefix. Returns the next offset. */
function writeInteger(target: Buffer, offset: number, value: number, prefixBits: number, first: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    target[offset] = first | value;
    return offset + 1;
  }
  target[offset++] = first | max;
  let rest = value - max;
  while (rest >= 128) {
    target[offset++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  target[offset++] = rest;
  return offset;
}

/** Size of a literal without indexing with a new name; `name` and `value` are ASCII (Latin-1). */
export function literalSize(name: string, value: string): number {
  return 1 + integerSize(name.length, 7) + name.length + integerSize(value.length, 7) + value.length;
}

/** Writes a literal without indexing with a new name (§6.2.2). Returns the next offset. */
export function writeLiteral(target: Buffer, offset: number, name: string, value: string): number {
  target[offset++] = 0;
  offset = writeInteger(target, offset, name.length, 7, 0);
  offset += target.write(name, offset, "latin1");
  offset = writeInteger(target, offset, value.length, 7, 0);
  return offset + target.write(value, offset, "latin1");
}

/** Writes a literal without indexing whose name is static entry `index` (§6.2.2). */
function writeIndexedNameLiteral(target: Buffer, offset: number, index: number, value: string): number {
  offset = writeInteger(target, offset, index, 4, 0);
  offset = writeInteger(target, offset, value.length, 7, 0);
  return offset + target.write(value, offset, "latin1");
}

/**
 * The fixed part of every call to one method: :method POST, :scheme,
 * :path, :authority, content-type application/grpc, te trailers and
 * user-agent. Per call only grpc-timeout and the metadata follow it.
 */
export function methodHeaderBlock(path: string, authority: string, secure: boolean, userAgent: string): Buffer {
  const out = Buffer.allocUnsafe(64 + 2 * (path.length + authority.length + userAgent.length));
  let offset = writeInteger(out, 0, StaticIndex.METHOD_POST, 7, 0x80);
  offset = writeInteger(out, offset, secure ? StaticIndex.SCHEME_HTTPS : StaticIndex.SCHEME_HTTP, 7, 0x80);
  offset = writeIndexedNameLiteral(out, offset, StaticIndex.PATH, path);
  offset = writeIndexedNameLiteral(out, offset, StaticIndex.AUTHORITY, authority);
  offset = writeIndexedNameLiteral(out, offset, StaticIndex.CONTENT_TYPE, "application/grpc");
  offset = writeLiteral(out, offset, "te", "trailers");
  offset = writeIndexedNameLiteral(out, offset, StaticIndex.USER_AGENT, userAgent);
  return Buffer.from(out.subarray(0, offset));
}

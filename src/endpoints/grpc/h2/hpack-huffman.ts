/**
 * HPACK Huffman decoding (RFC 7541 §5.2, Appendix B). The code is canonical,
 * so the code length of each of the 256 symbols is all it takes to rebuild
 * it (EOS is the 30-bit all-ones code). The decoder reads a byte at a time
 * through a table built once at load: for each tree node and input byte, the
 * node reached and the symbols (at most two) completed on the way.
 */

/** Code length of symbol i, as the letter at i ("A" = 5 bits … "Z" = 30 bits). */
const codeLengths =
  "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHF" +
  "IBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIX" +
  "PRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRS" +
  "VVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWV";

const EOS = 256;

interface Tree {
  /** children[2 * node + bit]: a node (>= 0) or a symbol (-1 - symbol); the root is node 0. */
  readonly children: Int32Array;
  readonly nodes: number;
}

function buildTree(): Tree {
  const lengths: number[] = [];
  for (let symbol = 0; symbol < 256; symbol++) lengths.push(codeLengths.charCodeAt(symbol) - 60);
  lengths.push(30);
  const order = lengths.map((_, symbol) => symbol).sort((a, b) => (lengths[a] ?? 0) - (lengths[b] ?? 0) || a - b);
  const children = new Int32Array(2 * 256).fill(0x7fff_ffff);
  let nodes = 1;
  let code = 0;
  // The shortest code is 5 bits long (the first symbols in `order`).
  let previous = 5;
  for (const symbol of order) {
    const length = lengths[symbol] ?? 0;
    code *= 2 ** (length - previous);
    previous = length;
    let node = 0;
    for (let bit = length - 1; bit > 0; bit--) {
      const slot = 2 * node + (Math.floor(code / 2 ** bit) & 1);
      if (children[slot] === 0x7fff_ffff) children[slot] = nodes++;
      node = children[slot] ?? 0;
    }
    children[2 * node + (code & 1)] = -1 - symbol;
    code++;
  }
  return { children, nodes };
}

/** Per (node, byte): next node | emitted count << 9 | failed << 11; symbols in a second table. */
const { transitions, symbols, accepting } = (() => {
  const { children, nodes } = buildTree();
  // A node may end a string when the bits from the root to it are all ones and fewer than 8 (padding, §5.2).
  const accepting = new Uint8Array(nodes);
  for (let node = 0, depth = 0; depth < 8; depth++) {
    accepting[node] = 1;
    node = children[2 * node + 1] ?? 0;
  }
  const transitions = new Uint16Array(nodes * 256);
  const symbols = new Uint16Array(nodes * 512);
  for (let start = 0; start < nodes; start++) {
    for (let byte = 0; byte < 256; byte++) {
      let node = start;
      let emitted = 0;
      let failed = 0;
      for (let bit = 7; bit >= 0; bit--) {
        const next = children[2 * node + ((byte >> bit) & 1)] ?? 0;
        if (next >= 0) node = next;
        else {
          const symbol = -1 - next;
          if (symbol === EOS) failed = 1;
          else symbols[(start * 256 + byte) * 2 + emitted++] = symbol;
          node = 0;
        }
      }
      transitions[start * 256 + byte] = node | (emitted << 9) | (failed << 11);
    }
  }
  return { transitions, symbols, accepting };
})();

/** Decodes a Huffman-coded string literal (Latin-1 bytes); undefined when the coding is invalid (EOS, bad padding). */
export function huffmanDecode(input: Buffer, start: number, end: number): string | undefined {
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let length = 0;
  let node = 0;
  for (let index = start; index < end; index++) {
    const key = node * 256 + (input[index] ?? 0);
    const transition = transitions[key] ?? 0;
    if (transition & 0x800) return undefined;
    const emitted = (transition >> 9) & 3;
    if (emitted > 0) out[length++] = symbols[key * 2] ?? 0;
    if (emitted > 1) out[length++] = symbols[key * 2 + 1] ?? 0;
    node = transition & 0x1ff;
  }
  if (accepting[node] !== 1) return undefined;
  return out.toString("latin1", 0, length);
}

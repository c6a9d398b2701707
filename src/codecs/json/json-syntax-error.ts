/**
 * Finds where a JSON text that JSON.parse rejected breaks, and why. V8 gives
 * a position for some errors but not for an unexpected token, so this small
 * recursive-descent checker runs (on the failure path only) to point at the
 * exact line and column.
 */
export function locateSyntaxError(text: string): { offset: number; reason: string } {
  let position = 0;

  const fail = (reason: string): never => {
    throw { offset: position, reason };
  };
  const skipSpace = () => {
    while (position < text.length && " \t\n\r".includes(text[position]!)) position++;
  };
  const describe = () => (position >= text.length ? "the end of the input" : `'${text[position]}'`);
  const expect = (char: string) => {
    if (text[position] !== char) fail(`expected '${char}' but found ${describe()}`);
    position++;
  };

  const parseString = () => {
    expect('"');
    while (position < text.length && text[position] !== '"') {
      const code = text.charCodeAt(position);
      if (code < 0x20) fail("control character in a string");
      if (text[position] === "\\") {
        position++;
        const escaped = text[position];
        if (escaped === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(position + 1, position + 5))) fail("invalid \\u escape");
          position += 4;
        } else if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) {
          fail(`invalid escape '\\${escaped ?? ""}'`);
        }
      }
      position++;
    }
    expect('"');
  };

  const parseValue = (): void => {
    skipSpace();
    const char = text[position];
    if (char === "{") {
      position++;
      skipSpace();
      if (text[position] === "}") return void position++;
      for (;;) {
        skipSpace();
        if (text[position] !== '"') fail(`expected a property name but found ${describe()}`);
        parseString();
        skipSpace();
        expect(":");
        parseValue();
        skipSpace();
        if (text[position] === ",") {
          position++;
          continue;
        }
        if (text[position] === "}") return void position++;
        fail(`expected ',' or '}' but found ${describe()}`);
      }
    }
    if (char === "[") {
      position++;
      skipSpace();
      if (text[position] === "]") return void position++;
      for (;;) {
        parseValue();
        skipSpace();
        if (text[position] === ",") {
          position++;
          continue;
        }
        if (text[position] === "]") return void position++;
        fail(`expected ',' or ']' but found ${describe()}`);
      }
    }
    if (char === '"') {
      parseString();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(position, position + 400));
    if (literal === null) fail(position >= text.length ? "the input ends where a value is expected" : `unexpected ${describe()}`);
    position += literal![0].length;
  };

  try {
    parseValue();
    skipSpace();
    if (position < text.length) fail(`unexpected ${describe()} after the value`);
  } catch (error) {
    if (typeof error === "object" && error !== null && "offset" in error) return error as { offset: number; reason: string };
    throw error;
  }
  return { offset: 0, reason: "not valid JSON" };
}

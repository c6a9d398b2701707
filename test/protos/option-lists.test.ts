import { test } from "uvu";
import * as assert from "uvu/assert";
import { repeatOptionMessageLists } from "../../src/protos/option-lists.js";

const rows: Array<{ description: string; source: string; expected: string }> = [
  {
    description: "a list of messages becomes the field repeated",
    source: 'a: [ {get: "/x"}, {post: "/y"} ]',
    expected: 'a:   {get: "/x"} a:  {post: "/y"}  ',
  },
  { description: "a list of scalars stays", source: 'tags: ["a", "b"]', expected: 'tags: ["a", "b"]' },
  { description: "brackets in strings and comments stay", source: 'x: "[ {" // a: [ {b: 1} ]\n', expected: 'x: "[ {" // a: [ {b: 1} ]\n' },
  { description: "field options in brackets stay", source: 'string name = 1 [json_name = "n"];', expected: 'string name = 1 [json_name = "n"];' },
  { description: "a list nested in an element is rewritten too", source: "a: [ {b: [ {c: 1}, {c: 2} ]} ]", expected: "a:   {b:   {c: 1} b:  {c: 2}  }  " },
];

for (const row of rows) {
  test(`option lists: ${row.description}`, () => {
    assert.is(repeatOptionMessageLists(row.source), row.expected);
  });
}

test("option lists: line breaks are kept, so parse errors keep their line numbers", () => {
  const source = "option (x) = {\n  a: [\n    {b: 1},\n    {b: 2}\n  ]\n};\n";
  assert.is(repeatOptionMessageLists(source).split("\n").length, source.split("\n").length);
});

test.run();

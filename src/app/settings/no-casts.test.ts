/** The settings draft and its typed paths read the schema's types without casting them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const FILES = ['experiment-draft.ts', 'setting-path.ts', 'settings-view.ts'];

/** ` as X` outside comments and strings, `as const` aside. */
function castsIn(source: string): string[] {
  return source
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').replace(/'[^']*'|`[^`]*`/g, "''"))
    .filter((line) => !/^\s*(\*|\/\*\*)/.test(line))
    .filter((line) => /\bas (?!const\b)[A-Za-z_{[(]/.test(line));
}

describe('no casts in the settings code', () => {
  it('finds a cast where there is one (and not in words or as const)', () => {
    expect(castsIn('const a = b as number;\nconst c = [1] as const;\n * such as this\n')).toEqual([
      'const a = b as number;',
    ]);
  });

  for (const file of FILES)
    it(file, () => {
      expect(castsIn(readFileSync(new URL(file, import.meta.url), 'utf8'))).toEqual([]);
    });
});

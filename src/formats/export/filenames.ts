/** Download names: lower case, words joined by '-', parts by '_', e.g. icl-lab_sparse-parity_seed-7_curves.csv */

export function slug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'x'
  );
}

export function exportFileName(parts: readonly (string | number)[], extension: string): string {
  return `${['icl-lab', ...parts.map((p) => slug(String(p)))].join('_')}.${slug(extension)}`;
}

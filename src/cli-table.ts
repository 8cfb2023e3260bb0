// Plain-text tables for the CLI's list commands: columns padded to their widest cell, two spaces apart.

/** `rows[0]` is the header; every row is padded column by column, trailing spaces trimmed. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

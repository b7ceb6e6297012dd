/** One record of Go's encoding/csv (what `RUN --mount=` values are): commas, `"quoted, fields"`, `""`. */

/** Splits one CSV record into fields; throws a plain Error with Go's reason on a bare or unclosed quote. */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let f = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('extraneous or missing " in quoted-field');
        f += text.slice(i, q);
        i = q + 1;
        if (text[i] === '"') {
          f += '"';
          i++;
          continue;
        }
        if (i < text.length && text[i] !== ',') throw new Error('extraneous or missing " in quoted-field');
        break;
      }
      fields.push(f);
    } else {
      let c = text.indexOf(',', i);
      if (c < 0) c = text.length;
      const f = text.slice(i, c);
      if (f.includes('"')) throw new Error('bare " in non-quoted-field');
      fields.push(f);
      i = c;
    }
    if (i >= text.length) break;
    i++; // comma
    if (i === text.length) {
      fields.push('');
      break;
    }
  }
  return fields;
}

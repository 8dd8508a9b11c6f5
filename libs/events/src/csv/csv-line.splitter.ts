/**
 * Splits one CSV line into fields, Excel style: `,` separates fields; a field that starts with `"` is quoted, ends at
 * the next lone `"`, and `""` inside it stands for one `"`. A `"` inside an unquoted field is kept literally.
 * Records never span lines here (neither data set has line breaks inside fields, and a stray quote must cost one
 * dead-lettered line rather than swallow the rest of the file).
 *
 * Returns the fields, or a string describing why the line is malformed.
 */
export function splitCsvLine(line: string): string[] | string {
  if (line.indexOf('"') < 0) return line.split(',');
  const fields: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    if (i < n && line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let start = ++i;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return `unterminated quoted field ${fields.length + 1}`;
        if (line.charCodeAt(q + 1) === 34) {
          value += line.slice(start, q + 1);
          i = start = q + 2;
          continue;
        }
        value += line.slice(start, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (line.charCodeAt(i) !== 44 /* , */) return `unexpected character after the closing quote of field ${fields.length}`;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

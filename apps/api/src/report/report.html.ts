/**
 * The Markdown subset `renderReportMarkdown` writes, as a standalone HTML page (GET /v1/report.html): headings,
 * paragraphs, bullet lists, pipe tables (with alignment), **bold**, `code`, and the report's own
 * `<details><summary>` wrapper. Every text is HTML-escaped (segment names come from the database).
 */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (ch === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

export function markdownToHtml(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const summary = /^<details><summary>(.*)<\/summary>$/.exec(line);
    if (summary) {
      out.push(`<details><summary>${inline(summary[1]!)}</summary>`);
      i++;
    } else if (line === '</details>') {
      out.push('</details>');
      i++;
    } else if (/^#{1,6} /.test(line)) {
      const level = line.indexOf(' ');
      out.push(`<h${level}>${inline(line.slice(level + 1))}</h${level}>`);
      i++;
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('- ')) items.push(`<li>${inline(lines[i++]!.slice(2))}</li>`);
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (line.startsWith('|') && /^\|[-:| ]+\|$/.test(lines[i + 1]?.trim() ?? '')) {
      const header = splitRow(line);
      const align = splitRow(lines[i + 1]!).map((a) => (a.endsWith(':') ? 'right' : 'left'));
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(splitRow(lines[i++]!));
      const cell = (tag: string, text: string, k: number) => `<${tag} style="text-align:${align[k] ?? 'left'}">${inline(text)}</${tag}>`;
      out.push(
        `<div class="table-wrap"><table><thead><tr>${header.map((h, k) => cell('th', h, k)).join('')}</tr></thead><tbody>` +
          rows.map((r) => `<tr>${r.map((c, k) => cell('td', c, k)).join('')}</tr>`).join('') +
          '</tbody></table></div>',
      );
    } else if (line.trim() === '') {
      i++;
    } else {
      const para: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(#|- |\||<details>|<\/details>)/.test(lines[i]!)) para.push(lines[i++]!);
      out.push(`<p>${inline(para.join(' '))}</p>`);
    }
  }
  return out.join('\n');
}

export function reportPage(markdown: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Insiders — business report</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<style>
  main.report { max-width: 1100px; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); margin: 20px auto; padding: 8px 32px 24px; line-height: 1.5; }
  main.report h1 { font-size: 24px; } main.report h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
  main.report table { margin: 8px 0 12px; } main.report td, main.report th { white-space: normal; }
  main.report code { background: #f1f5f9; padding: 1px 5px; border-radius: 4px; }
  main.report details { margin: 8px 0; } main.report summary { cursor: pointer; color: var(--accent); }
  nav.back { max-width: 1100px; margin: 14px auto 0; font-size: 14px; }
</style></head>
<body><nav class="back"><a href="/dashboard">← dashboard</a> · <a href="/v1/report.md">Markdown</a> · <a href="/v1/report">JSON</a></nav>
<main class="report" data-testid="report">
${markdownToHtml(markdown)}
</main></body></html>`;
}

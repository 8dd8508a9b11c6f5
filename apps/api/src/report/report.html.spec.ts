import { markdownToHtml, reportPage } from './report.html';

describe('markdownToHtml', () => {
  it('renders the subset the report uses', () => {
    const html = markdownToHtml(
      ['# Title', '', 'Some **bold** and `code`', 'continued.', '', '- one', '- two', '', '| a | b |', '|---|---:|', '| x \\| y | 2 |', '', '<details><summary>More</summary>', '', 'inside', '', '</details>'].join('\n'),
    );
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<p>Some <strong>bold</strong> and <code>code</code> continued.</p>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain('<th style="text-align:left">a</th><th style="text-align:right">b</th>');
    expect(html).toContain('<td style="text-align:left">x | y</td><td style="text-align:right">2</td>');
    expect(html).toContain('<details><summary>More</summary>');
    expect(html).toContain('</details>');
  });

  it('escapes HTML from the data', () => {
    const html = reportPage('## Segment <script>alert(1)</script>\n\n| name |\n|---|\n| <img src=x onerror=alert(1)> |');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
  });
});

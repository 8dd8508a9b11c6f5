import { toCsv } from './csv';

describe('toCsv', () => {
  it('quotes what needs quoting, neutralises formulas and keeps numbers as they are', () => {
    const csv = toCsv(['a', 'b', 'c'], [
      { a: 'plain', b: 'with, comma', c: 1.5 },
      { a: 'say "hi"', b: '=HYPERLINK("x")', c: -3 },
      { a: null, b: 'line\nbreak', c: undefined },
    ]);
    expect(csv).toBe(
      'a,b,c\r\nplain,"with, comma",1.5\r\n"say ""hi""","\'=HYPERLINK(""x"")",-3\r\n,"line\nbreak",\r\n',
    );
  });
});

import { splitCsvLine } from './csv-line.splitter';

describe('splitCsvLine', () => {
  it.each<[string, string[]]>([
    ['a,b,c', ['a', 'b', 'c']],
    ['a,b,', ['a', 'b', '']],
    [',,', ['', '', '']],
    ['', ['']],
    ['1,"AIRLINE LOUNGE,METAL SIGN",2', ['1', 'AIRLINE LOUNGE,METAL SIGN', '2']],
    ['1,"FANCY FONT BIRTHDAY CARD,",24,', ['1', 'FANCY FONT BIRTHDAY CARD,', '24', '']],
    ['1,"RECORD FRAME 7"" SINGLE SIZE",48', ['1', 'RECORD FRAME 7" SINGLE SIZE', '48']],
    ['"""quoted"" start",x', ['"quoted" start', 'x']],
    ['"",""', ['', '']],
    ['x,"a"', ['x', 'a']],
    ['7" FRAME,2', ['7" FRAME', '2']],
  ])('splits %p', (line, fields) => {
    expect(splitCsvLine(line)).toEqual(fields);
  });

  it('reports malformed quoting instead of guessing', () => {
    expect(splitCsvLine('1,"never closed,2')).toBe('unterminated quoted field 2');
    expect(splitCsvLine('1,"closed"junk,2')).toBe('unexpected character after the closing quote of field 2');
  });
});

import { parseReplayArgs, UsageError } from './replay.args';

describe('parseReplayArgs', () => {
  it('defaults to max speed, auto format, progress on', () => {
    expect(parseReplayArgs(['data/Ecommerce.csv.gz'])).toEqual({ file: 'data/Ecommerce.csv.gz', speed: 'max', format: 'auto', progress: true });
  });

  it('reads --limit, --speed, --format in both spellings', () => {
    expect(parseReplayArgs(['--limit', '1000', 'f.csv', '--speed=3600', '--format', 'uci', '--no-progress'])).toEqual({
      file: 'f.csv',
      limit: 1000,
      speed: 3600,
      format: 'uci',
      progress: false,
    });
    expect(parseReplayArgs(['f.csv', '--speed', '60x']).speed).toBe(60);
    expect(parseReplayArgs(['f.csv', '--speed', 'max']).speed).toBe('max');
  });

  it.each([
    [[], 'usage'],
    [['a.csv', 'b.csv'], 'expected one file'],
    [['f.csv', '--limit', '-3'], '--limit must be a non-negative integer'],
    [['f.csv', '--speed', '0'], '--speed must be "max" or a positive number'],
    [['f.csv', '--format', 'xlsx'], '--format must be seed, uci or auto'],
    [['f.csv', '--limit'], '--limit needs a value'],
    [['f.csv', '--fast'], 'unknown option --fast'],
  ])('rejects %p with a clear message', (argv, message) => {
    expect(() => parseReplayArgs(argv)).toThrow(UsageError);
    expect(() => parseReplayArgs(argv)).toThrow(message);
  });
});

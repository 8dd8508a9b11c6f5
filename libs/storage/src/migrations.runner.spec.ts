import { parseMigration } from './migrations.runner';

describe('parseMigration', () => {
  it('splits statements on line-ending semicolons and drops comment lines', () => {
    const m = parseMigration(
      '0001_x.sql',
      "-- a comment\nCREATE TABLE a (x String DEFAULT ';') ENGINE = Memory;\n\nCREATE VIEW b AS SELECT 1;\n",
    );
    expect(m.statements).toEqual(["CREATE TABLE a (x String DEFAULT ';') ENGINE = Memory", 'CREATE VIEW b AS SELECT 1']);
  });
});

import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';

const classes = ['negative', 'positive'];

describe('parseCsv', () => {
  it('reads the label after the last comma, by name or index, quoted texts with doubled quotes', () => {
    const csv = [
      'Great, really great,positive',
      '"She said ""dull"", and it was",0',
      '',
      '  plain text , negative  ',
    ].join('\r\n');
    expect(parseCsv(csv, classes)).toEqual({
      texts: ['Great, really great', 'She said "dull", and it was', 'plain text '],
      labels: [1, 0, 0],
    });
  });

  it('names the line of a missing or unknown label', () => {
    expect(() => parseCsv('ok,positive\nno label here', classes)).toThrow(/line 2 is not text,label/);
    expect(() => parseCsv('fine,neutral', classes)).toThrow(
      /line 1: label neutral is not one of negative, positive or 0-1/,
    );
    expect(() => parseCsv('fine,2', classes)).toThrow(/label 2/);
    expect(() => parseCsv('\n\n', classes)).toThrow(/no text,label lines/);
  });
});

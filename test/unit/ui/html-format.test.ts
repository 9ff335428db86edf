import fc from 'fast-check';
import { durationChoices, formatOffset, formatSpan, formatUtc, timeEl } from '../../../src/web/ui/format';
import { html, raw } from '../../../src/web/ui/html';

describe('html template', () => {
  test.each([
    ['text', 'a<b>&"\'', '<p>a&lt;b&gt;&amp;&quot;&#39;</p>'],
    ['number', 42, '<p>42</p>'],
    ['null', null, '<p></p>'],
    ['undefined', undefined, '<p></p>'],
    ['false', false, '<p></p>'],
    ['array', ['<i>', html`<b>x</b>`], '<p>&lt;i&gt;<b>x</b></p>'],
    ['trusted markup', raw('<br>'), '<p><br></p>'],
  ])('renders %s', (_name, value, expected) => {
    expect(html`<p>${value}</p>`.value).toBe(expected);
  });

  it('never lets interpolated text open a tag or leave an attribute', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = html`<a title="${s}">${s}</a>`.value;
        const inner = out.slice('<a title="'.length, -'</a>'.length);
        expect(inner.replace('">', '')).not.toMatch(/[<>"]/);
      }),
    );
  });
});

describe('time formatting', () => {
  test.each([
    [0, '0s'],
    [-5000, '0s'],
    [45_000, '45s'],
    [125_000, '2m 5s'],
    [725_000, '12m'],
    [3_600_000, '1h'],
    [3_599_000 + 3_600_000 * 3, '3h 59m'],
    [86_400_000 * 2 + 3_600_000, '2d 1h'],
    [86_400_000, '1d'],
  ])('span %d ms is %s', (ms, text) => {
    expect(formatSpan(ms)).toBe(text);
  });

  test.each([
    [0, '0:00'],
    [59.9, '0:59'],
    [61, '1:01'],
    [3725, '1:02:05'],
  ])('offset %d s is %s', (s, text) => {
    expect(formatOffset(s)).toBe(text);
  });

  it('writes UTC with and without seconds, and a <time> element the page script localises', () => {
    expect(formatUtc(Date.UTC(2026, 0, 31, 13, 45, 7))).toBe('2026-01-31 13:45 UTC');
    expect(formatUtc('2026-01-31T13:45:07.000Z', { seconds: true })).toBe('2026-01-31 13:45:07 UTC');
    // Whitespace inside tags is the formatter's; the element is what counts.
    expect(timeEl(Date.UTC(2026, 0, 31, 13, 45)).value.replace(/\s+>/g, '>')).toBe(
      '<time datetime="2026-01-31T13:45:00.000Z" data-local>2026-01-31 13:45 UTC</time>',
    );
    expect(timeEl(0, { seconds: true }).value).toContain('data-local="seconds"');
    expect(timeEl(null).value).toContain('—');
  });

  it('offers durations up to the policy limit only', () => {
    expect(durationChoices(3_600_000).map((c) => c.value)).toEqual(['15m', '30m', '1h']);
    expect(durationChoices(60_000)).toEqual([]);
  });
});

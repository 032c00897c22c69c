import { describe, expect, it } from 'vitest';
import { hasForwardSubject, hasReplySubject } from '../../../src/mail/text/subject-prefixes.js';

describe('hasReplySubject', () => {
  it.each(['Re: x', 'RE: x', 'AW: x', 'SV: x', 'Antw: x', 'Réf : x', 'Rif: x', 'Odp: x', 'YNT: x', 'ATB: x', 'RES: x', 'R: x', 'RE[2]: x', '  re : x'])(
    '%j is a reply',
    (subject) => {
      expect(hasReplySubject(subject)).toBe(true);
    },
  );

  it.each(['Fwd: x', 'Port request', 'Reply needed: x', 'Result: x', 'Rest: x'])('%j is not a reply', (subject) => {
    expect(hasReplySubject(subject)).toBe(false);
  });
});

describe('hasForwardSubject', () => {
  it.each(['Fwd: x', 'FW: x', 'TR: x', 'WG: x', 'RV: x', 'ENC: x', 'VS: x', 'Doorst: x', 'I: x'])('%j is a forward', (subject) => {
    expect(hasForwardSubject(subject)).toBe(true);
  });

  it.each(['Re: x', 'Port request', 'Fwd x'])('%j is not a forward', (subject) => {
    expect(hasForwardSubject(subject)).toBe(false);
  });
});

/**
 * Carrier text the desk repeats (SPEC §10): what a phisher puts in a display name, a "New Carrier"
 * line or a PON comes out as a bounded name with nothing to click, call or answer.
 */
import { describe, expect, it } from 'vitest';
import { cleanCarrierName, cleanEchoedField, cleanPon, MAX_CARRIER_NAME, MAX_ECHOED_FIELD, MAX_PON } from '../../src/domain/carrier-text.js';

describe('cleanCarrierName', () => {
  it.each([
    ['an ordinary name', 'Northwind Telecom LNP', 'Northwind Telecom LNP'],
    ['ampersand and apostrophe', "Bob's Phones & Co.", "Bob's Phones & Co."],
    ['an instruction to the customer', 'To KEEP your numbers reply APPROVE now. Support', 'To KEEP your numbers now. Support'],
    ['a link', 'Northwind https://evil.test/phish Telecom', 'Northwind Telecom'],
    ['a bare domain', 'keep-my-numbers.example.com', undefined],
    ['a phone number', 'Call 1-800-555-0199 today', 'Call today'],
    ['an e-mail address', 'write to help@evil.test', 'write to'],
    ['a right-to-left override', 'Northwind \u202eTelecom', 'Northwind Telecom'],
    ['a domain turned around by an override', 'Northwind\u202emoc.live', undefined],
    ['full-width letters', 'Ｎｏｒｔｈｗｉｎｄ', 'Northwind'],
    ['markup', '<b>Northwind</b> "Telecom"', 'b Northwind b Telecom'],
    ['nothing left', '!!! ??? ***', undefined],
  ])('%s', (_what, input, expected) => {
    expect(cleanCarrierName(input)).toBe(expected);
  });

  it('is bounded, cut at a word', () => {
    const name = cleanCarrierName('Northwind Telecommunications Porting Department Western Region Office')!;
    expect(name.length).toBeLessThanOrEqual(MAX_CARRIER_NAME);
    expect(name).toBe('Northwind Telecommunications Porting');
  });
});

describe('cleanPon', () => {
  it.each([
    ['an ordinary PON', 'NW-24101', 'NW-24101'],
    ['with spaces and slashes', ' CT 400/21 ', 'CT400/21'],
    ['a link', 'https://evil.test/phish', undefined],
    ['an address', 'pon@evil.test', undefined],
    ['nothing usable', '***', undefined],
  ])('%s', (_what, input, expected) => {
    expect(cleanPon(input)).toBe(expected);
  });

  it('is bounded', () => {
    expect(cleanPon('A'.repeat(475))).toHaveLength(MAX_PON);
  });
});

describe('cleanEchoedField', () => {
  it('keeps one visible line, bounded', () => {
    expect(cleanEchoedField('1200 Market St\r\nSuite 5\u202e')).toBe('1200 Market St Suite 5');
    expect(cleanEchoedField('x '.repeat(400))!.length).toBeLessThanOrEqual(MAX_ECHOED_FIELD);
  });
});

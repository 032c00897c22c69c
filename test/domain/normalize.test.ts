import { describe, expect, it } from 'vitest';
import {
  isSameUnit,
  normalizeAccountNumber,
  normalizeCity,
  normalizeCompany,
  normalizePersonName,
  normalizePin,
  normalizeState,
  normalizeStreet,
  normalizeUnit,
  normalizeZip,
  splitStreet,
} from '../../src/domain/normalize.js';

describe('normalizePersonName', () => {
  it.each([
    ['Smith, John A.', 'john smith'],
    ['John Smith', 'john smith'],
    ['Mrs. Ana  María de la Cruz', 'ana maria de la cruz'],
    ['Cruz, Ana M., Jr.', 'ana cruz'],
    ['J. R. Smith', 'j smith'],
    ['Mr', 'mr'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePersonName(input)).toBe(expected);
  });

  it('keeps "Jon" and "John" apart', () => {
    expect(normalizePersonName('Jon Smith')).not.toBe(normalizePersonName('John Smith'));
  });
});

describe('normalizeCompany', () => {
  it.each([
    ['Acme, Inc.', 'acme'],
    ['ACME INC', 'acme'],
    ['Acme Incorporated', 'acme'],
    ['The Acme Corp., Ltd.', 'acme'],
    ['Smith & Sons PLLC', 'smith and sons'],
    ['The Company', 'company'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeCompany(input)).toBe(expected);
  });

  it('keeps a different company apart', () => {
    expect(normalizeCompany('Acme Inc')).not.toBe(normalizeCompany('Acme Holdings Inc'));
  });
});

describe('normalizeStreet and splitStreet', () => {
  it.each([
    ['123 N. Main St., Ste 5', '123 n main st ste 5'],
    ['123 North Main Street Suite 5', '123 n main st ste 5'],
    ['1st Ave', '1st ave'],
    ['First Avenue', '1st ave'],
    ['Ninety-Ninth St', '99th st'],
    ['P.O. Box 12', 'po box 12'],
    ['Post Office Box 12', 'po box 12'],
    ['123 Main St #5', '123 main st # 5'],
    ['123 Main St Suite #5', '123 main st ste 5'],
    ['Suite 200, 123 Main St', '123 main st ste 200'],
    ['123 Main St, 5th Floor', '123 main st fl 5'],
    ['77 Lake Shore Drive Northwest', '77 lk shr dr nw'],
    ['10 East St', '10 east st'],
    ['123 Ste Genevieve Ave', '123 ste genevieve ave'],
    ['123 Forest Floor Ln', '123 frst fl ln'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeStreet(input)).toBe(expected);
  });

  it('splits the unit from the street', () => {
    expect(splitStreet('123 Main St, Suite #5')).toEqual({ street: '123 main st', unit: 'ste 5' });
    expect(splitStreet('456 Elm Blvd Bldg 2 Ste 300')).toEqual({ street: '456 elm blvd', unit: 'bldg 2 ste 300' });
    expect(splitStreet('PO Box 12')).toEqual({ street: 'po box 12', unit: '' });
  });

  it('reads a unit field on its own', () => {
    expect(normalizeUnit('Suite 5')).toBe('ste 5');
    expect(normalizeUnit('#5')).toBe('# 5');
    expect(normalizeUnit('5')).toBe('# 5');
    expect(normalizeUnit('Apt. 4-B')).toBe('apt 4b');
    expect(normalizeUnit('Third Floor')).toBe('fl 3');
  });

  it('treats "#" as a unit of any kind, and nothing else', () => {
    expect(isSameUnit('# 5', 'ste 5')).toBe(true);
    expect(isSameUnit('ste 5', 'ste 5')).toBe(true);
    expect(isSameUnit('ste 5', 'ste 6')).toBe(false);
    expect(isSameUnit('apt 5', 'ste 5')).toBe(false);
    expect(isSameUnit('bldg 2 ste 300', 'ste 300')).toBe(false);
  });
});

describe('normalizeZip, normalizeCity, normalizeState', () => {
  it.each([
    ['98101', '98101'],
    ['98101-1234', '98101'],
    ['98101 1234', '98101'],
    [' 981011234 ', '98101'],
    ['9810', ''],
    ['981012', ''],
    ['WA 98101', ''],
    ['K1A 0B1', ''],
    ['', ''],
  ])('ZIP %j → %j', (input, expected) => {
    expect(normalizeZip(input)).toBe(expected);
  });

  it('folds city and state spellings', () => {
    expect(normalizeCity('Ft. Lauderdale')).toBe(normalizeCity('Fort Lauderdale'));
    expect(normalizeState('new york')).toBe('ny');
    expect(normalizeState('N.Y.')).toBe('ny');
    expect(normalizeState('Oregon')).not.toBe(normalizeState('WA'));
  });

  it('reads the territories by name and by code', () => {
    expect(normalizeState('Guam')).toBe(normalizeState('GU'));
    expect(normalizeState('U.S. Virgin Islands')).toBe('vi');
    expect(normalizeState('Northern Mariana Islands')).toBe('mp');
  });

  it('keeps a word that is no state name as its normalised words, never a lookup artefact', () => {
    expect(normalizeState('constructor')).toBe('constructor');
    expect(normalizeState('To String')).toBe('to string');
  });
});

describe('normalizeAccountNumber and normalizePin', () => {
  it('ignores case, spaces, dashes and dots', () => {
    expect(normalizeAccountNumber('QTS-0042 7781')).toBe(normalizeAccountNumber('qts.0042.7781'));
    expect(normalizePin(' 12-34 ')).toBe('1234');
  });

  it('drops leading zeros of a numeric account number but never of a PIN', () => {
    expect(normalizeAccountNumber('000123')).toBe('123');
    expect(normalizeAccountNumber('0')).toBe('0');
    expect(normalizePin('0042')).toBe('0042');
    expect(normalizePin('0042')).not.toBe(normalizePin('42'));
  });
});

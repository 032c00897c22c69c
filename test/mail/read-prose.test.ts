import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_CHARS } from '../../src/mail/limits.js';
import { MAX_PROSE_NOTES, MAX_PROSE_SENTENCES, readProse, type ProseFields } from '../../src/mail/read-prose.js';

const today = new Date('2026-11-10T12:00:00Z');
const read = (text: string) => readProse(text, { today });
const fields = (text: string): ProseFields => read(text).fields;
type Field = keyof ProseFields;

describe('readProse: a whole request written as sentences', () => {
  it('reads every field of a typical prose request, each with a note', () => {
    const text = [
      'Good morning, kindly port 971-555-0140 and 971-555-0141 for Maria Lopez, account 40417, located at 88 Birch Lane, Salem OR 97301.',
      'Her passcode is 9031. We would like the port completed on April 2, 2027. Our order NW-7781.',
      'Authorized by Maria Lopez.',
    ].join(' ');
    const { fields: got, notes } = read(text);
    expect(got).toEqual({
      name: 'Maria Lopez', accountNumber: '40417', pin: '9031', pon: 'NW-7781', street: '88 Birch Lane', city: 'Salem',
      state: 'OR', zip: '97301', authorizedName: 'Maria Lopez', requestedDate: '2027-04-02',
    });
    expect(notes).toEqual([
      "name read from prose: 'for Maria Lopez'",
      "account number read from prose: 'account 40417'",
      "PIN read from prose: 'passcode is ****'",
      "PON read from prose: 'Our order NW-7781'",
      "street, city, state and ZIP read from prose: '88 Birch Lane, Salem OR 97301' (addresser reads '88 Birch Ln, Salem, OR 97301'; the street is kept as written)",
      "authorized name read from prose: 'Authorized by Maria Lopez'",
      "requested date read from prose: 'on April 2, 2027'",
    ]);
  });

  it('reads a wrapped, multi-line message up to the sender sign-off', () => {
    const text = [
      'Hello porting team,', '', 'We are reaching out on behalf of Greenway Dental Group to move their numbers 206-555-0170 through 0175 to',
      'our network. The service address is 1500 Pine Street Suite 210, Seattle, Washington 98101-2210.',
      'The acct no. is 77-2041 and the port-out PIN 55019. Due date of 2027-01-15 please.', '', 'Thanks,', 'Derek Olson',
      'Porting Specialist, Summit Voice',
    ].join('\n');
    const { fields: got, notes } = read(text);
    expect(got).toEqual({
      company: 'Greenway Dental Group', accountNumber: '77-2041', pin: '55019', street: '1500 Pine Street Suite 210',
      city: 'Seattle', state: 'WA', zip: '98101', requestedDate: '2027-01-15',
    });
    expect(notes).toContain("prose read up to the sign-off 'Thanks,'");
    expect(notes).toContain("requested date read from prose: 'Due date of 2027-01-15'");
  });
});

/** One sentence, one field, as written in it. */
const READS: [string, Field, string][] = [
  ['Please port these lines for Tom Becker today.', 'name', 'Tom Becker'],
  ['Our customer Priya Natarajan is moving to us.', 'name', 'Priya Natarajan'],
  ['End user: Grace O’Malley, numbers below.', 'name', 'Grace O’Malley'],
  ['The end-user is Hank Pym.', 'name', 'Hank Pym'],
  ['The customer name is Ana Maria Souza.', 'name', 'Ana Maria Souza'],
  ['The account is in the name of Dr. Leon Fischer.', 'name', 'Leon Fischer'],
  ['Account holder Rosa Diaz asked for the move.', 'name', 'Rosa Diaz'],
  ["Please port Sam Q. Wilson's two lines; customer Sam Q. Wilson.", 'name', 'Sam Q. Wilson'],
  ["Port for Kevin McAllister's office.", 'name', 'Kevin McAllister'],
  ['This is for LINDA PARK at the clinic.', 'name', 'LINDA PARK'],
  ['For Jean-Luc Picard, port 212-555-0199.', 'name', 'Jean-Luc Picard'],
  ['Please port for May Lee on May 5, 2027.', 'name', 'May Lee'],
  ['We write on behalf of Harbor View Dental LLC about their lines.', 'company', 'Harbor View Dental LLC'],
  ['The business name is Blue Heron Cafe.', 'company', 'Blue Heron Cafe'],
  ['Business name Corvid, numbers attached.', 'company', 'Corvid'],
  ['Company: Fenwick & Sons Plumbing, two lines.', 'company', 'Fenwick & Sons Plumbing'],
  ['Please port these for Tidewater Holdings, Inc. right away.', 'company', 'Tidewater Holdings, Inc.'],
  ['Our customer Bank of Lakeview moves on Friday.', 'company', 'Bank of Lakeview'],
  ['Account 310992 is the one to move.', 'accountNumber', '310992'],
  ['The account number is A-55120.', 'accountNumber', 'A-55120'],
  ['Acct # 66120, two lines.', 'accountNumber', '66120'],
  ['acct#66121 please', 'accountNumber', '66121'],
  ['Acct no. 66-122 per the bill.', 'accountNumber', '66-122'],
  ['Customer account: 99X1042.', 'accountNumber', '99X1042'],
  ['Her PIN is 7781.', 'pin', '7781'],
  ['The passcode 7782 was set last week.', 'pin', '7782'],
  ['Port-out PIN 778312.', 'pin', '778312'],
  ['The PIN number: 7784.', 'pin', '7784'],
  ['Security code is ab7785.', 'pin', 'ab7785'],
  ['PON ABC-991.', 'pon', 'ABC-991'],
  ['Our PON is KT-20411, thanks.', 'pon', 'KT-20411'],
  ['Our order ZX-14 covers both lines.', 'pon', 'ZX-14'],
  ['Purchase order number PO5521.', 'pon', 'PO5521'],
  ['Order number: 88120-B.', 'pon', '88120-B'],
  ['Reference number RT-0911 for this order.', 'pon', 'RT-0911'],
  ['The port reference is PR-5.', 'pon', 'PR-5'],
  ['The BTN is 503-555-0166.', 'btn', '503-555-0166'],
  ['Billing number (503) 555-0167 stays with us.', 'btn', '(503) 555-0167'],
  ['Billing number: +1 503 555 0168.', 'btn', '+1 503 555 0168'],
  ['Authorized by Jane Doe.', 'authorizedName', 'Jane Doe'],
  ['The LOA was signed by Omar Haddad, Office Manager.', 'authorizedName', 'Omar Haddad'],
  ['Authorised signer: Yuki Tanaka.', 'authorizedName', 'Yuki Tanaka'],
  ['Jane Doe authorized this port yesterday.', 'authorizedName', 'Jane Doe'],
  ['Our customer Li Wei signed the LOA.', 'authorizedName', 'Li Wei'],
  ['We would like the port on March 14, 2027.', 'requestedDate', '2027-03-14'],
  ['Please complete it by 3/14/2027.', 'requestedDate', '2027-03-14'],
  ['Requested due date of 2027-03-14.', 'requestedDate', '2027-03-14'],
  ['Port on Friday, January 8, 2027 please.', 'requestedDate', '2027-01-08'],
  ['Schedule the port for 8 Jan 2027.', 'requestedDate', '2027-01-08'],
  ['Port them on Dec 1st, 2026.', 'requestedDate', '2026-12-01'],
  ['Jane Doe approved this port on 11/01/2026 and wants it done on 12/15/2026.', 'requestedDate', '2026-12-15'],
  // A few plain words between the cue and its "is".
  ['Their account with the old carrier is 5512-0098.', 'accountNumber', '5512-0098'],
  ['The account number on the latest invoice is 77-4410-9.', 'accountNumber', '77-4410-9'],
  ['The security PIN on file is 3927.', 'pin', '3927'],
  ['The PIN they set with you was 44190.', 'pin', '44190'],
  ['Our PON for this order is RX-4410.', 'pon', 'RX-4410'],
  ['The billing telephone number for the account is (312) 555-0117.', 'btn', '(312) 555-0117'],
  ['The number on the account is 88120 and the PIN on the account is 5061.', 'pin', '5061'],
  ['Please port the lines for the account 88812 today.', 'accountNumber', '88812'],
  // A comma after the cue; an account number written in groups of digits.
  ['She gave us her passcode, 0815.', 'pin', '0815'],
  ['Their account with you is 5512 0098 3341, as on the bill.', 'accountNumber', '5512 0098 3341'],
  ['Account number 31 5520 1187 is on the bill.', 'accountNumber', '31 5520 1187'],
  ['Account 88812 12 lines to port.', 'accountNumber', '88812'],
  ['Account 88812 503 555 0100 is the main line.', 'accountNumber', '88812'],
  // Businesses: names joined by "&", "Bros.", a client, a role "of" a business.
  ['We write for our client, Ashworth & Lowe Architects, about two lines.', 'company', 'Ashworth & Lowe Architects'],
  ['On behalf of Ortega & Wynn we ask for the port.', 'company', 'Ortega & Wynn'],
  ['Port the lines for Delgado Bros. Roofing today.', 'company', 'Delgado Bros. Roofing'],
  ['I, Kwame Mensah, president of Mensah Freight LLC, authorize the transfer.', 'company', 'Mensah Freight LLC'],
  ['Our client Imogen Castellanos is moving two lines.', 'name', 'Imogen Castellanos'],
  ['Please port for Client Services Group LLC.', 'company', 'Client Services Group LLC'],
  // Who signed: a role before or after the name, set off by commas; a letter's "I, …, authorize".
  ['The LOA was signed by the owner, Priya Raman-Holt, last week.', 'authorizedName', 'Priya Raman-Holt'],
  ['It was approved by their office manager Dana Whitfield.', 'authorizedName', 'Dana Whitfield'],
  ['The president, Tomasz Wierzbicki, authorized the port.', 'authorizedName', 'Tomasz Wierzbicki'],
  ["Aoife O'Connell-Reyes, the co-owner, signed the letter of authorization.", 'authorizedName', "Aoife O'Connell-Reyes"],
  ['Our customer, Bram de Wit, has signed the authorization.', 'authorizedName', 'Bram de Wit'],
  ['I, Marguerite Duval, hereby authorize Summit Voice to port my numbers.', 'authorizedName', 'Marguerite Duval'],
  ['I, Kwame Mensah, president of Mensah Freight LLC, authorize the transfer.', 'authorizedName', 'Kwame Mensah'],
  // Lower-case mail.
  ['please port 415-555-0190 for our customer jane whitaker.', 'name', 'jane whitaker'],
  ['acct 4410 pin 2281, the account holder is dev patel.', 'name', 'dev patel'],
  ['the loa was signed by the owner, ana ruiz, on monday.', 'authorizedName', 'ana ruiz'],
  ['our client mark jones signed the loa.', 'authorizedName', 'mark jones'],
  ['our client acme dental llc wants to port two lines.', 'company', 'acme dental llc'],
  ['business name: blue heron cafe.', 'company', 'blue heron cafe'],
  ['service address is 88 pine st apt 2 portland or 97205.', 'street', '88 pine st apt 2'],
  ['service address is 88 pine st apt 2 portland or 97205.', 'city', 'portland'],
  ['service address is 88 pine st apt 2 portland or 97205.', 'state', 'OR'],
  // Dates and addresses.
  ['We would like the port done on the 9th of April, 2027.', 'requestedDate', '2027-04-09'],
  ['The lines are in service at 210 Elm St, Dayton, OH 45402.', 'street', '210 Elm St'],
  ['40 Mill Rd, Suite 3 · Keene, NH 03431', 'street', '40 Mill Rd, Suite 3'],
];

describe('readProse: one field from one sentence', () => {
  it.each(READS)('reads %j: %s is %j', (text, field, value) => {
    expect(fields(text)[field]).toBe(value);
  });

  it('never writes a PIN in a note', () => {
    for (const [text, , value] of READS.filter(([, field]) => field === 'pin')) {
      const { notes } = read(text);
      expect(notes.join('\n'), text).not.toContain(value);
      expect(notes.some((n) => n.startsWith('PIN read from prose:') && n.includes('****'))).toBe(true);
    }
  });
});

/** Sentences that must give no value for a field. */
const TAKES_NOTHING: [string, Field][] = [
  ['Thanks, Bob', 'name'],
  ['Regards,\nJane Smith\nSummit Voice', 'name'],
  ['This is Bob Smith from Summit Voice writing about a port.', 'name'],
  ['Dear Jane Doe, see the numbers below.', 'name'],
  ['Please schedule this for March 14.', 'name'],
  ['The port is for Oak Street customers.', 'name'],
  ['Please port 503-555-0100 for New York.', 'name'],
  ['Please port 801-555-0100 for Salt Lake City.', 'name'],
  ['Sent for Verizon Wireless by the porting desk.', 'name'],
  ['Please port for PON AB-12 today.', 'name'],
  ['Please port for Jane today.', 'name'],
  ['Thanks for your help with this.', 'name'],
  ['Our customer Service Team will follow up.', 'name'],
  ['Please port the numbers for Acme Communications LLC.', 'company'],
  ['The account holder will call.', 'accountNumber'],
  ['The account PIN is 1234.', 'accountNumber'],
  ['Account is active.', 'accountNumber'],
  ['A PIN is required for this port.', 'pin'],
  ['PIN 503-555-0100 was sent by mistake.', 'pin'],
  ['The PIN is 12.', 'pin'],
  ['Use PIN 2065550100.', 'pin'],
  ['Your order PO-AB12CD is noted.', 'pon'],
  ['In order 2 port, call us.', 'pon'],
  ['Our office is at 500 Main St, Dallas, TX 75201 if you need us.', 'street'],
  ['The ZIP is 97201 and the state OR.', 'street'],
  ['Please port 12 lines or 97201 more.', 'street'],
  ['Account 88812, PIN 4412, ZIP 97201.', 'street'],
  ['Please port 1200 numbers for 4 Main St customers in Austin TX 78701.', 'street'],
  ['Our customer signed the LOA on 11/02/2026 for the port.', 'authorizedName'],
  ['Our customer signed the LOA on 11/02/2026 for the port.', 'requestedDate'],
  ['The bill dated 3/14/2027 is attached.', 'requestedDate'],
  ['Please port on February 30, 2027.', 'requestedDate'],
  ['We have 24/7 support.', 'requestedDate'],
  ['Call 503-555-0123 about the port.', 'requestedDate'],
  ['The PIN on the account is 2417.', 'accountNumber'],
  ['The PIN for the account with you is 2417.', 'accountNumber'],
  ['The account and PIN are 1234 and 5678.', 'accountNumber'],
  ['The account and PIN are 1234 and 5678.', 'pin'],
  ['The account holder is here and the PIN is pending.', 'pin'],
  ['Type of service: X Business Residential', 'company'],
  ['Dana Lee, porting manager at Summit Voice Networks, sent this.', 'company'],
  ['Our customer, Hollyhock & Thyme Tea Room, has signed the LOA.', 'authorizedName'],
  ['He signed the LOA yesterday.', 'authorizedName'],
  ['I, the undersigned, authorize the port.', 'authorizedName'],
  ['our client needs help with the port.', 'name'],
  ['the customer is moving next week.', 'name'],
  ['the company is closing its office.', 'company'],
  ['please port it for next week.', 'name'],
  ['yesterday mark jones signed the loa.', 'authorizedName'],
  ['Please port 12 lines or 97201 more today.', 'state'],
];

describe('readProse: what it leaves alone', () => {
  it.each(TAKES_NOTHING)('takes nothing from %j as %s', (text, field) => {
    expect(fields(text)[field]).toBeUndefined();
  });

  it.each([
    ['Account 503-555-0187 is the main line.', "'Account 503-555-0187'"],
    ['The account number is (503) 555-0187.', "'account number is (503) 555-0187'"],
    ['Account number 503 555 0187, please.', "'Account number 503 555 0187'"],
    ['Acct 5035550187.', "'Acct 5035550187'"],
  ])('says why the telephone number in %j is not the account number', (text, quoted) => {
    const { fields: got, notes } = read(text);
    expect(got.accountNumber).toBeUndefined();
    expect(notes).toContain(`${quoted} looks like a telephone number: not read as the account number`);
  });

  it("says why the sender's own carrier and a bare reference are not read", () => {
    const { fields: got, notes } = read('This request is sent on behalf of Summit Voice Networks. Ticket reference 55123 is closed.');
    expect(got).toEqual({});
    expect(notes).toContain("'on behalf of Summit Voice Networks' names a carrier or telephone company: not read as the customer");
    expect(notes).toContain("'reference 55123' is not said to be an order reference: not read as the PON");
  });
});

describe('readProse: the customer who signed, named in another sentence', () => {
  it('takes the customer for "He signed…" when the customer read is a person, and says so', () => {
    const { fields: got, notes } = read('Our customer Nadia Rahman is moving her line to us. She signed the LOA yesterday.');
    expect(got).toMatchObject({ name: 'Nadia Rahman', authorizedName: 'Nadia Rahman' });
    expect(notes).toContain("authorized name read from prose: 'She signed the LOA' (the customer, read from 'customer Nadia Rahman')");
  });

  it('takes no one when the customer is a business, or when two customers were read', () => {
    expect(fields('Our customer is Brightwater Dental LLC. He signed the LOA.').authorizedName).toBeUndefined();
    expect(fields('Customer Ida Wells has two sites. Customer Otto Kahn has one. She signed the LOA.').authorizedName).toBeUndefined();
  });

  it('prefers a named signer to the customer', () => {
    expect(fields('Customer Nadia Rahman is moving. She signed the LOA. The LOA was signed by Omar Haddad.').authorizedName).toBe('Omar Haddad');
  });
});

describe('readProse: a letter of authorization written by the customer', () => {
  it('reads the business, the signer, the account, the PIN and the address', () => {
    const text = [
      'To whom it may concern:',
      'I, Lionel Achterberg, managing partner of Achterberg & Sloane Design LLC, authorize Summit Voice to',
      'transfer the following telephone numbers from your company: 406-555-0140 and 406-555-0141.',
      'Our account number with you is 7720-1180-33, and the PIN on the account is 8012. The numbers',
      'are in service at 90 W Main St, Ste 4, Bozeman, MT 59715.',
      'Sincerely,',
      'Lionel Achterberg',
    ].join('\n');
    expect(fields(text)).toEqual({
      company: 'Achterberg & Sloane Design LLC', accountNumber: '7720-1180-33', pin: '8012', street: '90 W Main St, Ste 4',
      city: 'Bozeman', state: 'MT', zip: '59715', authorizedName: 'Lionel Achterberg',
    });
  });
});

describe('readProse: the service address', () => {
  it.each([
    ['The service address is 12 Oak Street Suite 5, Portland, Oregon 97201-1234.', ['12 Oak Street Suite 5', 'Portland', 'OR', '97201']],
    ['Lines are at 77 Elm Road, Springfield, IL 62701 today.', ['77 Elm Road', 'Springfield', 'IL', '62701']],
    ['It is installed at 4400 NE Sandy Blvd #200, Portland, OR 97213.', ['4400 NE Sandy Blvd #200', 'Portland', 'OR', '97213']],
    ['Service address 9 Pike Pl Seattle WA 98101.', ['9 Pike Pl', 'Seattle', 'WA', '98101']],
    ['Address: 1600 Pennsylvania Ave NW, Washington, DC 20500.', ['1600 Pennsylvania Ave NW', 'Washington', 'DC', '20500']],
    ['Port 503-555-0100, acct 88812, at 12 Oak St., Portland OR 97201.', ['12 Oak St.', 'Portland', 'OR', '97201']],
  ])('reads %j', (text, [street, city, state, zip]) => {
    expect(fields(text)).toMatchObject({ street, city, state, zip });
  });

  it("names addresser's normalised form in the note and keeps the street as written", () => {
    const { notes } = read('Service address is 12 Oak Street Suite 5, Portland, Oregon 97201-1234.');
    expect(notes.some((n) => n.includes("addresser reads '12 Oak St, Suite 5, Portland, OR 97201'; the street is kept as written"))).toBe(true);
  });

  it('prefers the stated service address to another one seen first', () => {
    const text = 'Mail goes to 1 Elm St, Bend, OR 97701. The service address is 5 Fir Ave, Eugene, OR 97401.';
    expect(fields(text)).toMatchObject({ street: '5 Fir Ave', city: 'Eugene', zip: '97401' });
  });
});

describe('readProse: choosing between readings', () => {
  it('prefers a stated customer name to a bare "for", and says so', () => {
    const { fields: got, notes } = read('Port the main line for Carl Jung. The customer name is Carla Jung.');
    expect(got.name).toBe('Carla Jung');
    expect(notes).toContain("name 'customer name is Carla Jung' preferred to 'for Carl Jung'");
  });

  it('keeps the first of two equally stated values and notes the second once', () => {
    const { fields: got, notes } = read('Customer Ida Wells has two sites. Customer Otto Kahn has one. Customer Ada Byron too.');
    expect(got.name).toBe('Ida Wells');
    expect(notes.filter((n) => n.startsWith('name also read as'))).toEqual([
      "name also read as 'Customer Otto Kahn': the first, 'Customer Ida Wells', is used",
    ]);
  });

  it('gives a date without a year the first year it is not past, and says so', () => {
    expect(fields('Please port on March 14.').requestedDate).toBe('2027-03-14');
    expect(fields('Please port on November 20.').requestedDate).toBe('2026-11-20');
    expect(read('Please port on March 14.').notes).toContain("requested date read from prose: 'on March 14' (year not given: 2027 taken)");
  });

  it('reads "as soon as possible" as no date, with a note', () => {
    const { fields: got, notes } = read('Please port these as soon as possible.');
    expect(got.requestedDate).toBeUndefined();
    expect(notes).toContain("the port is asked for 'as soon as possible': no requested date read");
  });

  it('keeps a past date and says it is past', () => {
    const { fields: got, notes } = read('Please port on 2024-05-01.');
    expect(got.requestedDate).toBe('2024-05-01');
    expect(notes).toContain('requested date 2024-05-01 is before today');
  });
});

describe('readProse: sentences', () => {
  it('does not end a sentence at "St." or an initial', () => {
    expect(fields('Service at 12 Oak St. Portland OR 97201 for Jane Q. Doe.')).toMatchObject({ street: '12 Oak St.', name: 'Jane Q. Doe' });
  });

  it('stops at a signature delimiter, and reads nothing from text without sentences', () => {
    expect(fields('Please port 503-555-0100.\n-- \nCustomer Care: Pat Lee\nAcct 99999')).toEqual({});
    expect(read('')).toEqual({ fields: {}, notes: [] });
    for (const text of ['   \n\n\t ', '503-555-0100 503-555-0101 503-555-0102', '....!!!???,,,;;;']) expect(read(text).fields).toEqual({});
  });
});

describe('readProse: hostile input', () => {
  it('reads 256 KB of one long line in pieces, and stays sensible', () => {
    const text = `PIN is 4412 for Jane Doe ${'lorem ipsum dolor '.repeat(20_000)}`.slice(0, MAX_TEXT_CHARS);
    const { fields: got, notes } = read(text);
    expect(got).toEqual({ pin: '4412', name: 'Jane Doe' });
    expect(notes.some((n) => n.includes('read in pieces'))).toBe(true);
  });

  it('stops at MAX_PROSE_SENTENCES of 10,000 sentences, and says so', () => {
    const sentences = Array.from({ length: 10_000 }, (_, i) => `Customer Person${String.fromCharCode(65 + (i % 26))} Number has account ${10_000 + i}.`);
    const { fields: got, notes } = read(sentences.join(' '));
    expect(got.accountNumber).toBe('10000');
    expect(notes).toContain(`stopped reading prose after ${MAX_PROSE_SENTENCES.toLocaleString('en-US')} sentences`);
    expect(notes.length).toBeLessThanOrEqual(MAX_PROSE_NOTES);
  });

  it('cuts text over MAX_TEXT_CHARS and says so', () => {
    const { fields: got, notes } = read(`For Jane Doe. ${'x'.repeat(MAX_TEXT_CHARS)}`);
    expect(got.name).toBe('Jane Doe');
    expect(notes[0]).toMatch(/^the text is .* characters long: only the first 262,144 read$/);
  });

  it.each([
    ['cue words', 'for account PIN PON customer on behalf of authorized by '.repeat(5_000)],
    ['dots', '. '.repeat(100_000)],
    ['digits', '12345 '.repeat(40_000)],
    ['addresses', '1 A St, Bend, OR 97701 '.repeat(10_000)],
    ['capitals', 'Aa '.repeat(80_000)],
    ['blanks', `for${' '.repeat(200_000)}Jane Doe`],
    ['newlines', 'for Jane\n'.repeat(25_000)],
    ['dates', 'port on 1/1/2027 '.repeat(15_000)],
    ['quotes', `port.${"'".repeat(200_000)} x`],
  ])('stays within its caps on a flood of %s', (_kind, text) => {
    const { fields: got, notes } = read(text);
    expect(notes.length).toBeLessThanOrEqual(MAX_PROSE_NOTES);
    for (const value of Object.values(got)) expect((value as string).length).toBeLessThanOrEqual(200);
  });

  it('never throws, and reads the same text the same way twice', () => {
    expect(readProse(undefined as unknown as string).fields).toEqual({});
    expect(readProse('Please port on March 14.', { today: new Date(Number.NaN) }).fields.requestedDate).toMatch(/^\d{4}-03-14$/);
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (text) => {
        expect(readProse(text, { today })).toEqual(readProse(text, { today }));
      }),
      { numRuns: 200 },
    );
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/mail/parse-message.js';
import { readCarrierNotice } from '../../src/mail/read-carrier-notice.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'classify');
const load = async (name: string) => readCarrierNotice(await parseMessage(readFileSync(join(dir, `${name}.eml`))));

describe('readCarrierNotice', () => {
  it('reads the order id, the PON and the numbers of a completion notice', async () => {
    expect(await load('completion-notice')).toMatchObject({
      orderIds: ['PO-7K3F9Q'],
      pon: 'CT-40021',
      dids: ['+12065550100', '+12065550101', '+12065550102'],
    });
  });

  it('reads a range and a labelled PON', async () => {
    expect(await load('completion-notice-noreply')).toMatchObject({
      orderIds: [],
      pon: 'NW-88120',
      dids: ['+14255550110', '+14255550111', '+14255550112'],
    });
  });

  it('reads a PON from the subject of a cancellation', async () => {
    expect(await load('cancellation')).toMatchObject({ orderIds: [], pon: 'CT-40105', dids: [] });
  });

  it('reads an order id from the body', async () => {
    expect((await load('cancellation-withdrawn')).orderIds).toEqual(['PO-4HX2ZP']);
  });

  it('says when a notice names nothing it could be matched by', async () => {
    const reading = readCarrierNotice(
      await parseMessage(Buffer.from('From: lnp@carrier.example.test\r\nSubject: Port completed\r\n\r\nAll done.\r\n')),
    );
    expect(reading).toMatchObject({ orderIds: [], dids: [] });
    expect(reading.notes).toContain('names no order id, PON or number');
  });
});

/** `portdesk orders list|show|complete|cancel`. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../config.js';
import { maskUrl } from '../domain/mask-url.js';
import { eventView } from '../domain/webhook-events.js';
import { ORDER_STATES, type PortOrder } from '../domain/records.js';
import { REASON_CODES } from '../domain/reason-codes.js';
import { createCommandLogger } from '../logger.js';
import { maskOrder, ORDER_COLUMNS, orderRow, showOrder } from './format-records.js';
import { CliError, print, table } from './output.js';

export function addOrdersCommands(program: Command): void {
  const orders = program.command('orders').description('port-out orders');

  orders
    .command('list')
    .description('list orders')
    .addOption(new Option('--state <state>', 'only orders in this state').choices([...ORDER_STATES]))
    .option('--all', 'include archived orders')
    .option('--json', 'machine-readable output')
    .action(async (opts: { state?: PortOrder['state']; json?: boolean; all?: boolean }) => {
      const { readRecords } = await import('../tools/read-records.js');
      const filter = { ...(opts.state ? { state: opts.state } : {}), ...(opts.all ? { includeArchived: true } : {}) };
      const list = (await readRecords(loadConfig(), (store) => store.listOrders(filter))).map(maskOrder);
      print(opts.json, list, () => (list.length ? table([ORDER_COLUMNS, ...list.map(orderRow)]) : 'no orders'));
    });

  orders
    .command('show')
    .description('show one order with its history and match report')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { readRecords } = await import('../tools/read-records.js');
      const found = await readRecords(loadConfig(), (store) => {
        const order = store.getOrder(id.trim().toUpperCase());
        return order ? { order, events: store.listOrderEvents(order.id).map((e) => eventView(e, maskUrl)) } : undefined;
      });
      if (!found) throw new CliError(`no order ${id}`);
      const masked = maskOrder(found.order);
      print(opts.json, { ...masked, events: found.events }, () => showOrder(masked, found.events));
    });

  orders
    .command('complete')
    .description('mark an approved order completed; the customer gets the completion e-mail')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const { completeOrderNow } = await import('../tools/support-commands.js');
      const order = await completeOrderNow(cfg, createCommandLogger(cfg.logLevel), id);
      print(opts.json, maskOrder(order), () => `${order.id} is now ${order.state}`);
    });

  orders
    .command('cancel')
    .description('cancel an open order; carrier and customer are told')
    .argument('<id>')
    .requiredOption('--reason <text>', 'why, in words (sent to the carrier and the customer)')
    .addOption(new Option('--code <code>', 'reason code sent with the cancellation').choices([...REASON_CODES]).default('CARRIER_CANCELED'))
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reason: string; code: string; json?: boolean }) => {
      const cfg = loadConfig();
      const { cancelOrderNow } = await import('../tools/support-commands.js');
      const order = await cancelOrderNow(cfg, createCommandLogger(cfg.logLevel), id, opts.reason, opts.code);
      print(opts.json, maskOrder(order), () => `${order.id} is now ${order.state}`);
    });
}

/** `portdesk review list|show|reprocess|dismiss`: what waits in Review (SPEC §9, §10). */
import type { Command } from 'commander';
import type { ReviewItem } from '../app/review.js';
import { loadConfig } from '../config.js';
import { createCommandLogger } from '../logger.js';
import { print, table } from './output.js';
import { operator } from './output.js';

const COLUMNS = ['ID', 'PARKED', 'REASON', 'FROM', 'SUBJECT'];

function row(i: ReviewItem): string[] {
  return [i.id, i.at.slice(0, 16).replace('T', ' '), i.reviewReason, i.from ?? '(none)', (i.subject ?? '').slice(0, 60)];
}

function describe(i: ReviewItem): string[] {
  return [
    `${i.id}  ${i.reviewReason}: ${i.meaning}`,
    `  parked:   ${i.at}`,
    `  detail:   ${i.detail}`,
    `  from:     ${i.from ?? '(none)'}`,
    `  subject:  ${i.subject ?? '(none)'}`,
    ...(i.orderIds.length ? [`  orders:   ${i.orderIds.join(', ')}`] : []),
    ...(i.resolution ? [`  ${i.resolution.action} ${i.resolution.at}${i.resolution.by ? ` by ${i.resolution.by}` : ''}${i.resolution.note ? `: ${i.resolution.note}` : ''}`] : []),
  ];
}

export function addReviewCommands(program: Command): void {
  const review = program.command('review').description('messages parked in Review, with their reason');

  review
    .command('list')
    .description('what waits in Review, oldest first')
    .option('--all', 'also what was dismissed or handled again')
    .option('--json', 'machine-readable output')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const { listReviewItems } = await import('../tools/review-records.js');
      const items = await listReviewItems(loadConfig(), opts.all === true);
      print(opts.json, items, () => (items.length ? table([COLUMNS, ...items.map(row)]) : 'nothing waits in Review'));
    });

  review
    .command('show')
    .description('one parked message: its reason, and the message as text')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { showReviewItem } = await import('../tools/review-records.js');
      const detail = await showReviewItem(loadConfig(), id);
      print(opts.json, detail, () => {
        const m = detail.message;
        const body = m
          ? ['', `  ── the message${m.date ? ` of ${m.date}` : ''} ──`, m.text, ...(m.truncated ? ['  (cut here)'] : [])]
          : ['', '  (no copy of the message was kept; look in PortDesk/Review)'];
        return [...describe(detail.item), ...body].join('\n');
      });
    });

  review
    .command('reprocess')
    .description('hand a parked message to the desk again (after an account was fixed)')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const { reprocessReviewNow } = await import('../tools/support-commands.js');
      const result = await reprocessReviewNow(cfg, createCommandLogger(cfg.logLevel), id, operator());
      print(opts.json, result, () =>
        result.disposition === 'review'
          ? `${result.item.id} is back in Review: ${result.item.reviewReason}: ${result.item.detail}`
          : `${result.item.id} handled again: ${result.disposition}${result.item.orderIds.length ? ` (${result.item.orderIds.join(', ')})` : ''}`,
      );
    });

  review
    .command('dismiss')
    .description('close a Review item without acting on it')
    .argument('<id>')
    .requiredOption('--note <text>', 'why, for the record')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { note: string; json?: boolean }) => {
      const cfg = loadConfig();
      const { dismissReviewNow } = await import('../tools/support-commands.js');
      const item = await dismissReviewNow(cfg, createCommandLogger(cfg.logLevel), id, opts.note, operator());
      print(opts.json, item, () => `${item.id} dismissed: ${opts.note}`);
    });
}

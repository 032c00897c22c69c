/**
 * The PortDesk folders a handled message is moved to, one per disposition: their names, and
 * their creation on connect when missing.
 */
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../logger.js';
import type { Disposition } from '../../ports/mail-source.js';

/** The dispositions that move a message to a folder of its own; `deferred` leaves it where it is. */
export type FolderDisposition = Exclude<Disposition, 'deferred'>;

/** Target folders as path segments under the personal namespace, joined with the server's delimiter. */
export type FolderSegments = Record<FolderDisposition, readonly string[]>;

/** The target folders' full paths on the server. */
export type FolderPaths = Record<FolderDisposition, string>;

export const DEFAULT_FOLDERS: FolderSegments = {
  processed: ['PortDesk', 'Processed'],
  review: ['PortDesk', 'Review'],
  ignored: ['PortDesk', 'Ignored'],
};

/**
 * Creates the PortDesk folders when missing, under the personal namespace prefix and with the
 * server's own delimiter (`INBOX.PortDesk.Review` on a Courier-style server, `PortDesk/Review`
 * on Dovecot's default).
 */
export async function ensureFolders(client: ImapFlow, folderSegments: FolderSegments, log: Logger): Promise<FolderPaths> {
  const ns = client.namespace;
  const prefix = ns?.prefix ?? '';
  // A flat namespace (delimiter NIL) has no hierarchy: the segments become one name.
  const delimiter = ns?.delimiter ?? (ns?.delimiter === null ? '-' : '/');
  const existing = new Set((await client.list()).map((f) => f.path));
  const result = {} as FolderPaths;
  for (const disposition of ['processed', 'review', 'ignored'] as const) {
    const path = prefix + folderSegments[disposition].join(delimiter);
    result[disposition] = path;
    if (existing.has(path)) continue;
    const created = await client.mailboxCreate(path);
    await client.mailboxSubscribe(path).catch(() => undefined);
    if (created?.created) log.info({ folder: path }, 'IMAP folder created');
  }
  return result;
}

/**
 * One handler per kind of message, in a table: the pipeline classifies, then looks the kind up
 * here. A new kind is a new row and a new file, not another branch in a long switch.
 */
import type { MessageKind } from '../../domain/records.js';
import { handleAutomatic } from './automatic.js';
import { handleCarrierNotice } from './carrier-notice.js';
import { handleCsrRequest } from './csr-request.js';
import type { InboundHandler } from './handled.js';
import { handleOther } from './other.js';
import { handlePortRequest } from './port-request.js';
import { handleReply } from './reply.js';

export const HANDLERS: Record<MessageKind, InboundHandler> = {
  port_request: handlePortRequest,
  verification_reply: handleReply,
  completion_notice: (input) => handleCarrierNotice(input, 'completion_notice'),
  cancellation: (input) => handleCarrierNotice(input, 'cancellation'),
  csr_request: handleCsrRequest,
  auto_reply: (input) => handleAutomatic(input, 'auto_reply'),
  bounce: (input) => handleAutomatic(input, 'bounce'),
  other: handleOther,
};

/** Kinds whose handling depends on who really sent them: they wait while DNS does not answer. */
export const AUTHENTICATED_KINDS: ReadonlySet<MessageKind> = new Set(['port_request', 'verification_reply', 'completion_notice', 'cancellation', 'csr_request']);

/**
 * Mail that is none of the desk's kinds. A customer's unsolicited "I approve" gets the
 * pre-approval answer (rule 3); the rest waits in Review.
 */
import { readReply } from '../../mail/read-reply.js';
import { review, type Handled, type InboundInput } from './handled.js';
import { preApprovalRefusal } from './reply.js';

export function handleOther(input: InboundInput): Handled {
  if (readReply(input.msg).decision === 'approve') return preApprovalRefusal(input, 'an approval sent before any verification');
  return review(input, 'OTHER', 'not a port request, reply, notice or CSR request the desk can act on');
}

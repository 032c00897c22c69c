import { DeskError } from '../../errors.js';

/** A template that is missing or failed to render. Permanent: the same data fails the same way. */
export class TemplateError extends DeskError<'TEMPLATE_ERROR'> {
  constructor(
    message: string,
    readonly template: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super('TEMPLATE_ERROR', message, options);
    this.name = 'TemplateError';
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

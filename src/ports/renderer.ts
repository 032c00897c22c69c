/** One rendered e-mail body set. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Turns a template name and its data into subject, text and HTML. */
export interface Renderer {
  render(template: string, data: Record<string, unknown>): RenderedMail;
}

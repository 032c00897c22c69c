// Parts of mailauth (pinned exactly in package.json) that its index.d.ts does not describe.
declare module 'mailauth/lib/parse-dkim-headers.js' {
  /** Parses a whole header line (`Authentication-Results: id; dkim=pass header.d=…`) into its parts. */
  const parseDkimHeaders: (line: string) => { parsed: Record<string, unknown> };
  export default parseDkimHeaders;
}

declare module 'mailauth/lib/tools.js' {
  /** The entry whose organizational domain matches the From domain's (relaxed DMARC alignment), or false. */
  export function getAlignment(fromDomain: string, domainList: (string | { domain: string })[], strict?: boolean): false | { domain: string };
}

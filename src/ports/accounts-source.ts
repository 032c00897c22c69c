/** Where the accounts document comes from (SPEC §14): billing's export over HTTP(S), or a file. */
export interface SourceValidators {
  etag?: string;
  lastModified?: string;
}

export type SourceFetch =
  | { changed: false; validators: SourceValidators }
  | { changed: true; text: string; format: 'json' | 'csv'; validators: SourceValidators; bytes: number };

export interface AccountsSource {
  /** Where it reads, for logs and messages: the URL without credentials or query string, or the absolute file path. */
  readonly location: string;
  readonly kind: 'http' | 'file';
  /** One fetch. With the validators of the last document applied, an unchanged document answers changed:false. */
  fetch(previous?: SourceValidators): Promise<SourceFetch>;
}

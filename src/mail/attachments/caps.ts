/**
 * How much of an attachment is read. Attachments over MAX_ATTACHMENT_BYTES (10 MB) never get
 * here (parse-message.ts drops them), but 10 MB of PDF or zipped spreadsheet can still hold far
 * more work than a port request needs, so each reader stops early and says so in its notes.
 */

/** Text handed on from one attachment, as for a message body: a request is a few KB. */
export const MAX_ATTACHMENT_TEXT_CHARS = 256 * 1024;

/** A longer PDF is a contract or a bill, not a letter of authorization: it is left to a person. */
export const MAX_PDF_PAGES = 50;
/** Text items read on one PDF page; a dense page of small print has a few thousand. */
export const MAX_PDF_ITEMS_PER_PAGE = 20_000;
/** Form fields read from one PDF; a carrier's LOA has a few dozen. */
export const MAX_PDF_FIELDS = 500;
/** One form field's value; a multi-line address is a few hundred characters. */
export const MAX_PDF_FIELD_CHARS = 1_000;
/**
 * Time for one PDF, checked between steps. pdf.js runs in this thread, so a page that keeps it
 * busy is not interrupted; a document of many slow pages is stopped here.
 */
export const MAX_PDF_READ_MS = 20_000;

/** Sheets read from one workbook; a request sheet is the first or second. */
export const MAX_SHEETS = 5;
/** Rows read from one sheet or CSV file: a project port of 2,000 numbers fits. */
export const MAX_ROWS = 2_000;
/** Columns read from one row; wider sheets are exports, and the numbers sit in the first few. */
export const MAX_COLUMNS = 30;
/** One cell's text: a long note is a few hundred characters; shared strings can be megabytes. */
export const MAX_CELL_CHARS = 1_000;
/** One CSV record (csv-parse's max_record_size): a quote left open would otherwise take the file. */
export const MAX_CSV_RECORD_CHARS = 64 * 1024;
/**
 * What a zipped workbook (xlsx, ods) may expand to, by its own directory: a zip bomb is refused
 * before SheetJS inflates it. A 2,000-row sheet is a few MB of XML.
 */
export const MAX_WORKBOOK_EXPANDED_BYTES = 64 * 1024 * 1024;

/** Below this an image named like a mail client's inline picture is a signature logo. */
export const MAX_LOGO_BYTES = 20 * 1024;

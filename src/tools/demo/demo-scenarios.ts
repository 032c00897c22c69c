/**
 * The demo's cast and script: the desk's addresses, the carrier, and the four port-out requests
 * it sends, each written for one of the sample accounts; and the configuration the demo runs the
 * desk with (windows of seconds, jobs every second, everything on loopback).
 */
import { BUILTIN_TEMPLATES_DIR, loadConfig, type Config } from '../../config.js';

export const DESK = 'porting@desk.example.test';
export const SUPPORT = 'support@desk.example.test';
export const CARRIER = { name: 'Northwind Telecom LNP', email: 'lnp@northwind.example.test' };
export const ADMIN_FEE = '$15';

/** Who asks for what: each request is written for one sample account. */
export interface Scenario {
  step: string;
  title: string;
  accountId: string;
  customer: string;
  pon: string;
  lines: string[];
}

export const SCENARIOS = {
  approve: {
    step: 'request-approve',
    title: "Northwind asks to port Priya Raman's only number",
    accountId: 'ACC-1003',
    customer: 'priya.raman@example.test',
    pon: 'NW-24101',
    lines: [
      'Account Name: Priya Raman',
      'Account Number: 100-2233',
      'Service Address: 3307 SE Hawthorne Blvd, Apt 4B',
      'City: Portland',
      'State: OR',
      'ZIP: 97214',
      'Telephone Numbers: (503) 555-0177',
      'Authorized Name: Priya Raman',
    ],
  },
  reject: {
    step: 'request-reject',
    title: 'Northwind asks to port two numbers of Cascade Coffee Roasters',
    accountId: 'ACC-1001',
    customer: 'maria.delgado@example.test',
    pon: 'NW-24102',
    lines: [
      'End User: Cascade Coffee Roasters',
      'Service Address: 1420 Pine St Ste 310',
      'City: Seattle',
      'State: WA',
      'ZIP: 98101',
      'Telephone Numbers: 206-555-0100, 206-555-0101',
    ],
  },
  link: {
    step: 'request-link',
    title: 'Northwind asks to port one number of Bayview Design Studio',
    accountId: 'ACC-1006',
    customer: 'aiko@bayview-design.example.test',
    pon: 'NW-24104',
    lines: [
      'Customer Name: Aiko Tanaka',
      'Business Name: Bayview Design Studio',
      'Service Address: 2201 Mission St, Ste 5',
      'City: San Francisco',
      'State: CA',
      'ZIP: 94110',
      'Telephone Numbers: (415) 555-0192',
    ],
  },
  silent: {
    step: 'request-silent',
    title: 'Northwind asks to port one number of Brooks Hardware',
    accountId: 'ACC-1005',
    customer: 'dan@brooks-hardware.example.test',
    pon: 'NW-24103',
    lines: [
      'Name on Account: Daniel Brooks',
      'Company: Brooks Hardware Co.',
      'Service Address: 45 Main Street, Unit 2',
      'City: Burlington',
      'State: VT',
      'ZIP: 05401-1234',
      'Telephone Numbers: 802 555 0163',
    ],
  },
} satisfies Record<string, Scenario>;

/** `httpPort`: where the console and the answer links are served (the demo picks a free one). */
export function demoConfig(dataDir: string, httpPort: number): Config {
  return loadConfig(
    {
      DATA_DIR: dataDir,
      TEMPLATES_DIR: BUILTIN_TEMPLATES_DIR,
      INBOUND_SMTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      MAIL_FROM: DESK,
      SUPPORT_EMAIL: SUPPORT,
      TIMEZONE: 'UTC',
      VERIFICATION_WINDOW: '3s',
      REMINDER_AFTER: '1s',
      COMPLETION_GRACE: '5d',
      FOC_MIN_BUSINESS_DAYS: '1',
      JOBS_SCHEDULE: '* * * * * *',
      DIGEST_SCHEDULE: '0 8 * * *',
      ADMIN_FEE,
      MATCH_FIELDS: 'account-info',
      REPLY_SUBADDRESS: 'true',
      // Its made-up domains would be looked up on the network; the demo stays on loopback, and a
      // reply still counts only when it carries the verification's secret.
      MAIL_AUTH: 'off',
      LOG_LEVEL: 'silent',
    },
    { cwd: dataDir, dotenv: false },
  );
}

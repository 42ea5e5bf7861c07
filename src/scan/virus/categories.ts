// Which verdict category a signature or heuristic name falls in. Rules act per category (a
// mass-mailer is usually deleted, adware perhaps only tagged), so every engine names its
// findings through this one function. Administrators' rules come first; then the naming
// conventions of ClamAV's official and common third-party databases.
import type { VirusCategory } from '../facts.js';
import type { CategoryRule } from './antivirus-settings.js';

/** clamd appends ".UNOFFICIAL" to names from unsigned databases; it says where, not what. */
export function normaliseSignatureName(name: string): string {
  return name.trim().replace(/\.UNOFFICIAL$/, '');
}

// A family or tool name standing as its own token ("Win.Trojan.Rat-123", not "Ratab").
const token = (words: string) => new RegExp(`(?:^|[.\\-_/:])(?:${words})(?:$|[.\\-_/:])`, 'i');

/** Mass-mailing worms: their own category so rules can delete them without notifying anyone. */
const MASS_MAILER_FAMILIES =
  'Mydoom|Netsky|Bagle|Beagle|Sober|Sobig|Klez|Mytob|Zafi|Warezov|Stration|Lovgate|Bugbear|Nimda|Sircam|Loveletter|Mimail|Swen';

/** Checked in order; the first match wins. Specific grayware kinds before the generic "PUA.". */
const BUILT_IN: [RegExp, VirusCategory][] = [
  // Our own and ClamAV's macro heuristics: suspicious, but often legitimate business documents.
  [/^Heuristics?\.(MacroDocument|OLE2\.ContainsMacros)/i, 'grayware-other'],
  // ClamAV's data-loss heuristics (credit cards, SSNs) are not malware.
  [/^Heuristics\.Structured\./i, 'grayware-other'],
  // Phishing names contain "Email." but are not worms.
  [/phish/i, 'virus'],
  [/worm|mass-?mail/i, 'mass-mailing'],
  [/(?:^|\.)Email\./i, 'mass-mailing'],
  [token(MASS_MAILER_FAMILIES), 'mass-mailing'],
  [/spyware|keylog/i, 'spyware'],
  [token('Spy'), 'spyware'],
  [/adware/i, 'adware'],
  [/dialer/i, 'dialer'],
  [/joke|hoax/i, 'joke'],
  [/pass(?:word)?-?crack|pwcrack|passview|pwdump/i, 'password-cracker'],
  [/hack-?tool|hacking-?tool/i, 'hacking-tool'],
  [/remote-?(?:admin|access|control)/i, 'remote-access'],
  [token('RAT'), 'remote-access'],
  [/^PUA\.|grayware|riskware/i, 'grayware-other'],
  [token('PUP'), 'grayware-other'],
];

/** "Sanesecurity.Junk.*" → /^Sanesecurity\.Junk\..*$/i */
function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

export type Categorize = (name: string) => VirusCategory;

/** A categorizer with the administrator's rules (checked first) compiled once. */
export function createCategorizer(rules: CategoryRule[] = []): Categorize {
  const local: [RegExp, VirusCategory][] = rules.map((r) => [globToRegExp(r.pattern), r.category]);
  return (name) => {
    const n = normaliseSignatureName(name);
    for (const [re, category] of local) if (re.test(n)) return category;
    for (const [re, category] of BUILT_IN) if (re.test(n)) return category;
    return 'virus';
  };
}

/** The built-in mapping alone. */
export const categorize: Categorize = createCategorizer();

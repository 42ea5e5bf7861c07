// The default global rules and areas (SPEC §5, §12). They exist from the start and come back
// when an imported document leaves them out: administrators may edit them (name, route,
// conditions, actions, enabled), but not delete them or change their id or type.

/** Ids reserved for the default rules. */
export const DEFAULT_RULE_IDS = {
  antivirus: 'global-antivirus',
  scanExceptions: 'scan-exceptions',
  spam: 'default-spam',
  graymail: 'default-graymail',
} as const;

export const DEFAULT_QUARANTINE_AREAS = ['virus', 'scan-exceptions', 'spam', 'policy'] as const;

const DEFAULT_RETENTION = '30d';

/** Document form (what the YAML holds), so a re-added rule reads like one the administrator wrote. */
export function defaultRuleDocuments() {
  return [
    {
      id: DEFAULT_RULE_IDS.antivirus,
      name: 'Global antivirus',
      enabled: true,
      type: 'antivirus' as const,
      route: { direction: 'all' as const },
      match: 'all' as const,
      conditions: [{ virus: {} }],
      actions: {
        intercept: { action: 'quarantine' as const, area: 'virus' },
        modify: [],
        monitor: [],
      },
    },
    {
      id: DEFAULT_RULE_IDS.scanExceptions,
      name: 'Scan exceptions',
      enabled: true,
      // Runs with the antivirus rules: a message that could not be scanned must be caught
      // before any content rule can deliver it (SPEC §13: fail closed).
      type: 'antivirus' as const,
      route: { direction: 'all' as const },
      match: 'all' as const,
      conditions: [{ scanException: {} }],
      actions: {
        intercept: { action: 'quarantine' as const, area: 'scan-exceptions' },
        modify: [],
        monitor: [],
      },
    },
    {
      id: DEFAULT_RULE_IDS.spam,
      name: 'Default spam',
      enabled: true,
      type: 'other' as const,
      route: { direction: 'inbound' as const },
      match: 'all' as const,
      // The verdict of the spam settings (level or custom threshold); skipped scoring never matches.
      conditions: [{ spam: {} }],
      actions: {
        intercept: { action: 'quarantine' as const, area: 'spam' },
        modify: [],
        monitor: [],
      },
    },
    {
      id: DEFAULT_RULE_IDS.graymail,
      name: 'Default graymail',
      enabled: true,
      type: 'other' as const,
      route: { direction: 'inbound' as const },
      match: 'all' as const,
      // Graymail is never spam: tagged and delivered (after default-spam, which a spam
      // newsletter meets first).
      conditions: [{ graymail: {} }],
      actions: {
        intercept: { action: 'continue' as const },
        modify: [{ tagSubject: '[Graymail]' }],
        monitor: [],
      },
    },
  ];
}

export function defaultQuarantineAreaDocuments() {
  return DEFAULT_QUARANTINE_AREAS.map((name) => ({ name, retention: DEFAULT_RETENTION }));
}

export function defaultNotificationTemplates() {
  return [
    {
      name: 'virus-alert',
      subject: 'Virus found in a message to %RCPTS%',
      body:
        'Sekimori found %VIRUSNAME% in a message.\n\n' +
        'Sender: %SENDER%\nRecipients: %RCPTS%\nSubject: %SUBJECT%\nFile: %FILENAME%\n' +
        'Rule: %RULENAME%\nAction: %ACTION%\n',
    },
    {
      name: 'policy-alert',
      subject: 'Policy rule "%RULENAME%" matched',
      body:
        'A message matched the rule "%RULENAME%".\n\n' +
        'Sender: %SENDER%\nRecipients: %RCPTS%\nSubject: %SUBJECT%\nAction: %ACTION%\n',
    },
  ];
}

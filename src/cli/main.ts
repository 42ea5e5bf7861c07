// The sekimori command.
import { Command, CommanderError } from 'commander';
import { registerStart } from './start.js';
import { registerSettings } from './settings.js';
import { registerQueue } from './queue.js';
import { registerLog } from './log.js';
import { registerStatus } from './status.js';
import { registerQuarantine } from './quarantine.js';
import { registerScan } from './scan.js';
import { registerPolicy } from './policy.js';
import { registerSender } from '../sender/cli.js';
import { registerDkim } from '../auth/cli.js';
import { registerDmarc } from '../auth/dmarc-cli.js';
import { registerCnc, registerSpam } from '../spam/cli.js';
import { registerAdmin } from './admin.js';
import { CliError, EXIT } from './common.js';

const program = new Command('sekimori')
  .description('Sekimori email security gateway')
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)');

registerStart(program);
registerStatus(program);
registerSettings(program);
registerQueue(program);
registerLog(program);
registerQuarantine(program);
registerScan(program);
registerPolicy(program);
registerSender(program);
registerDkim(program);
registerDmarc(program);
registerSpam(program);
registerCnc(program);
registerAdmin(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by commander
    process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  if (e instanceof CliError) {
    process.stderr.write(`sekimori: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`sekimori: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(EXIT.failure);
}

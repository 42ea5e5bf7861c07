// Schema migrations, the same for SQLite and PostgreSQL; only the auto-increment column
// type differs between the two.
import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from './store.js';
import { senderEventsMigration } from '../sender/events.js';
import { dkimKeysMigration } from '../auth/dkim-keys.js';
import { bayesMigration } from '../spam/bayes/kysely-store.js';
import { textModelMigration } from '../spam/text-model/migration.js';
import { dmarcResultsMigration } from '../auth/dmarc-reports.js';
import { cncMigration } from '../spam/cnc.js';
import { trackingStoryMigration } from '../log/tracking.js';
import { statsMigration } from '../log/stats.js';
import { clusterNodesMigration } from '../cluster/nodes.js';
import { consoleMigration } from '../web/console-tables.js';

type Db = Kysely<unknown>;

export function migrations(kind: StoreKind): Record<string, Migration> {
  const serial = kind === 'postgres' ? 'bigserial' : 'integer';
  const time = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_core': {
      async up(db: Db) {
        await db.schema
          .createTable('settings')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('document', 'text', (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('tracking_messages')
          .addColumn('queue_id', 'varchar(32)', (c) => c.primaryKey())
          .addColumn('node', 'varchar(255)', (c) => c.notNull())
          .addColumn('received_at', time, (c) => c.notNull())
          .addColumn('client_ip', 'varchar(64)', (c) => c.notNull())
          .addColumn('helo', 'text', (c) => c.notNull())
          .addColumn('sender', 'text', (c) => c.notNull())
          .addColumn('recipients', 'text', (c) => c.notNull())
          .addColumn('recipient_count', 'integer', (c) => c.notNull())
          .addColumn('size', time, (c) => c.notNull())
          .addColumn('message_id', 'text')
          .addColumn('subject', 'text')
          .addColumn('status', 'varchar(32)', (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('tracking_messages_received')
          .on('tracking_messages')
          .column('received_at')
          .execute();
        await db.schema
          .createIndex('tracking_messages_sender')
          .on('tracking_messages')
          .column('sender')
          .execute();
        await db.schema
          .createTable('tracking_deliveries')
          .addColumn('id', serial, (c) =>
            kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('queue_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('recipient', 'text', (c) => c.notNull())
          .addColumn('result', 'varchar(32)', (c) => c.notNull())
          .addColumn('reply', 'text', (c) => c.notNull())
          .addColumn('host', 'text')
          .execute();
        await db.schema
          .createIndex('tracking_deliveries_queue_id')
          .on('tracking_deliveries')
          .column('queue_id')
          .execute();
        await db.schema
          .createIndex('tracking_deliveries_recipient')
          .on('tracking_deliveries')
          .column('recipient')
          .execute();
      },
      async down(db: Db) {
        for (const t of ['tracking_deliveries', 'tracking_messages', 'settings'])
          await db.schema.dropTable(t).execute();
      },
    },
    '0002_quarantine_policy_events': {
      async up(db: Db) {
        await db.schema
          .createTable('quarantine')
          .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('queue_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('node', 'varchar(255)', (c) => c.notNull())
          .addColumn('area', 'varchar(100)', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('expires_at', time)
          .addColumn('sender', 'text', (c) => c.notNull())
          .addColumn('recipients', 'text', (c) => c.notNull())
          .addColumn('subject', 'text')
          .addColumn('size', time, (c) => c.notNull())
          .addColumn('rule_id', 'varchar(100)')
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('envelope', 'text', (c) => c.notNull())
          .addColumn('facts', 'text', (c) => c.notNull())
          .addColumn('message', kind === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('quarantine_created').on('quarantine').column('created_at').execute();
        await db.schema.createIndex('quarantine_area').on('quarantine').column('area').execute();
        await db.schema
          .createTable('policy_events')
          .addColumn('id', serial, (c) =>
            kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('queue_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('node', 'varchar(255)', (c) => c.notNull())
          .addColumn('sender', 'text', (c) => c.notNull())
          .addColumn('recipient', 'text', (c) => c.notNull())
          .addColumn('subject', 'text')
          .addColumn('rule_id', 'varchar(100)', (c) => c.notNull())
          .addColumn('rule_name', 'text', (c) => c.notNull())
          .addColumn('evidence', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('policy_events_at').on('policy_events').column('at').execute();
        await db.schema
          .createIndex('policy_events_queue_id')
          .on('policy_events')
          .column('queue_id')
          .execute();
        await db.schema.alterTable('tracking_messages').addColumn('verdict', 'text').execute();
      },
      async down(db: Db) {
        await db.schema.alterTable('tracking_messages').dropColumn('verdict').execute();
        for (const t of ['policy_events', 'quarantine']) await db.schema.dropTable(t).execute();
      },
    },
    '0003_sender_events': senderEventsMigration(kind),
    '0004_dkim_keys': dkimKeysMigration(kind),
    '0005_bayes': bayesMigration(kind),
    '0006_cnc_objects': cncMigration(kind),
    '0007_console': consoleMigration(kind),
    '0008_stats': statsMigration(kind),
    '0009_cluster_nodes': clusterNodesMigration(kind),
    '0010_tracking_story': trackingStoryMigration(kind),
    '0011_dmarc_results': dmarcResultsMigration(kind),
    '0012_text_model': textModelMigration(kind),
  };
}

// The services of this node an administrator can stop and start from the console: the SMTP
// listener (stop = no new connections) and delivery (stop = messages are accepted and queued
// but not handled until started again).
import type { Logger } from '../util/log.js';
import type { NodeServiceControl, NodeServiceName } from './services.js';

export interface SmtpSwitch {
  listen(): Promise<unknown>;
  stopListening(): void;
  isListening(): boolean;
}

export interface DeliverySwitch {
  pause(): void;
  resume(): void;
  isPaused(): boolean;
}

export class NodeServices implements NodeServiceControl {
  constructor(
    private readonly smtp: SmtpSwitch,
    private readonly delivery: DeliverySwitch,
    private readonly log: Logger,
  ) {}

  states(): Record<NodeServiceName, 'running' | 'stopped'> {
    return {
      smtp: this.smtp.isListening() ? 'running' : 'stopped',
      delivery: this.delivery.isPaused() ? 'stopped' : 'running',
    };
  }

  async start(name: NodeServiceName): Promise<void> {
    if (this.states()[name] === 'running') return;
    if (name === 'smtp') await this.smtp.listen();
    else this.delivery.resume();
    this.log.info({ service: name }, 'service started from the console');
  }

  async stop(name: NodeServiceName): Promise<void> {
    if (this.states()[name] === 'stopped') return;
    if (name === 'smtp') this.smtp.stopListening();
    else this.delivery.pause();
    this.log.info({ service: name }, 'service stopped from the console');
  }
}
